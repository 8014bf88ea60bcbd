import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { freePort, waitForPort } from './ports.js'

export const SOCAT_BIN = '/usr/bin/socat'

export function socatMissing (): string | undefined {
  return existsSync(SOCAT_BIN) ? undefined : `${SOCAT_BIN} is missing (apt-get install socat)`
}

/** Debian's socat as a collector: whatever arrives on a loopback port is appended to a file. */
export interface SocatCollector {
  url: string
  file: string
  /** The file's lines (the last, unterminated one left out). */
  lines(): string[]
  /** Waits until `predicate(lines)` holds, polling the file. */
  waitFor(predicate: (lines: string[]) => boolean, timeoutMs?: number): Promise<string[]>
  stop(): void
}

export async function socatCollector (kind: 'tcp' | 'udp', file: string): Promise<SocatCollector> {
  const port = await freePort()
  const listen = kind === 'tcp' ? `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork` : `UDP-RECV:${port},bind=127.0.0.1`
  const child: ChildProcess = spawn(SOCAT_BIN, ['-u', listen, `OPEN:${file},creat,append`], { stdio: 'ignore' })
  if (kind === 'tcp') await waitForPort(port)
  else await new Promise(resolve => setTimeout(resolve, 150))
  const lines = (): string[] => {
    if (!existsSync(file)) return []
    const all = readFileSync(file, 'utf8').split('\n')
    all.pop()
    return all
  }
  return {
    url: `${kind}://127.0.0.1:${port}`,
    file,
    lines,
    async waitFor (predicate, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const now = lines()
        if (predicate(now)) return now
        if (Date.now() > until) throw new Error(`${file}: condition not met within ${timeoutMs} ms (${now.length} lines)`)
        await new Promise(resolve => setTimeout(resolve, 25))
      }
    },
    stop () { child.kill('SIGKILL') }
  }
}
