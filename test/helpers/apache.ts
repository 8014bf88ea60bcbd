import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { responseComplete } from './raw-http.js'

/**
 * A real Apache httpd (Debian's apache2) on a loopback port, with mod_log_forensic and
 * mod_unique_id, started from a throwaway ServerRoot in a temp dir. It is the reference the
 * forensic log is compared with.
 */

export const APACHE_BIN = '/usr/sbin/apache2'
export const APACHE_MODULES = '/usr/lib/apache2/modules'
export const CHECK_FORENSIC_BIN = '/usr/sbin/check_forensic'

/** Why the Apache tests cannot run here, or undefined when they can. */
export function apacheMissing (): string | undefined {
  if (!existsSync(APACHE_BIN)) return `${APACHE_BIN} is not installed (apt-get install apache2)`
  for (const m of ['mod_mpm_prefork.so', 'mod_log_forensic.so', 'mod_unique_id.so', 'mod_authz_core.so']) {
    if (!existsSync(join(APACHE_MODULES, m))) return `${join(APACHE_MODULES, m)} is missing`
  }
  return undefined
}

export interface Apache {
  port: number
  dir: string
  forensicLog: string
  /** The forensic log as bytes read back as latin1 (one char per byte). */
  readForensic(): string
  /** Waits until the forensic log holds at least `n` lines. */
  waitForLines(n: number, timeoutMs?: number): Promise<string[]>
  /** SIGKILL to httpd and every child: no log_transaction runs. */
  kill(): Promise<void>
  stop(): Promise<void>
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address() as net.AddressInfo
      srv.close(() => resolve(addr.port))
    })
  })
}

async function waitForPort (port: number, child: ChildProcess, timeoutMs: number, errorLog: string): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (child.exitCode !== null) {
      throw new Error(`apache2 exited with ${child.exitCode}: ${existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : ''}`)
    }
    const ok = await new Promise<boolean>(resolve => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`apache2 did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`)
}

/** Starts httpd in the foreground in its own process group. */
export async function startApache (opts: { maxClients?: number } = {}): Promise<Apache> {
  const dir = mkdtempSync(join(tmpdir(), 'waf-apache-'))
  // httpd's children drop to `User`, which must be able to read the DocumentRoot.
  chmodSync(dir, 0o755)
  const docroot = join(dir, 'htdocs')
  mkdirSync(docroot)
  writeFileSync(join(docroot, 'index.html'), 'hello\n')
  const forensicLog = join(dir, 'forensic.log')
  const errorLog = join(dir, 'error.log')
  const port = await freePort()
  const servers = opts.maxClients ?? 4
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const conf = [
    `ServerRoot "${dir}"`,
    ...['mpm_prefork', 'authz_core', 'log_forensic', 'unique_id'].map(m => `LoadModule ${m}_module ${APACHE_MODULES}/mod_${m}.so`),
    `Listen 127.0.0.1:${port}`,
    'ServerName localhost',
    `PidFile "${join(dir, 'httpd.pid')}"`,
    `ErrorLog "${errorLog}"`,
    `DefaultRuntimeDir "${dir}"`,
    `Mutex file:${dir} default`,
    'LogLevel warn',
    `ForensicLog "${forensicLog}"`,
    `DocumentRoot "${docroot}"`,
    // As root, httpd refuses to serve unless its children switch to an unprivileged user.
    ...(asRoot ? ['User nobody', 'Group nogroup'] : []),
    `StartServers ${servers}`,
    `MinSpareServers ${servers}`,
    `MaxSpareServers ${servers}`,
    `MaxRequestWorkers ${servers}`,
    'KeepAlive On',
    'Timeout 30',
    ''
  ].join('\n')
  const confFile = join(dir, 'httpd.conf')
  writeFileSync(confFile, conf)
  const child = spawn(APACHE_BIN, ['-f', confFile, '-DFOREGROUND'], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', d => { stderr += d })
  try {
    await waitForPort(port, child, 10000, errorLog)
  } catch (err) {
    try { process.kill(-(child.pid as number), 'SIGKILL') } catch {}
    throw new Error(`${(err as Error).message}\n${stderr}`)
  }
  const exited = new Promise<void>(resolve => {
    if (child.exitCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  const readForensic = (): string => existsSync(forensicLog) ? readFileSync(forensicLog).toString('latin1') : ''
  const group = (signal: NodeJS.Signals): void => {
    try { process.kill(-(child.pid as number), signal) } catch {}
  }
  let stopped = false
  return {
    port,
    dir,
    forensicLog,
    readForensic,
    async waitForLines (n, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const lines = readForensic().split('\n').filter(l => l.length > 0)
        if (lines.length >= n || Date.now() > until) return lines
        await new Promise(resolve => setTimeout(resolve, 20))
      }
    },
    async kill () {
      group('SIGKILL')
      await exited
      // The children die with the group; wait until none holds the port.
      await waitForFreePort(port, 5000)
    },
    async stop () {
      if (stopped) return
      stopped = true
      if (child.exitCode === null) {
        group('SIGTERM')
        const timer = setTimeout(() => group('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

async function waitForFreePort (port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    const busy = await new Promise<boolean>(resolve => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (!busy) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** Runs Debian's check_forensic on a file, in the C locale (byte-order sort), and returns stdout. */
export function runCheckForensic (file: string): string {
  const r = spawnSync(CHECK_FORENSIC_BIN, [file], { env: { ...process.env, LC_ALL: 'C' }, encoding: 'latin1', timeout: 30000 })
  if (r.error !== undefined) throw r.error
  if (r.status !== 0) throw new Error(`check_forensic exited ${String(r.status)}: ${r.stderr}`)
  return r.stdout
}

/**
 * Sends raw bytes on a fresh connection and resolves with what came back (latin1), as soon as one
 * complete response has arrived, the server closes, or nothing arrives for `idleMs`.
 */
export async function sendRaw (port: number, bytes: Buffer | string, idleMs = 1000): Promise<string> {
  const payload = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes
  return await new Promise(resolve => {
    const s = net.connect(port, '127.0.0.1', () => s.write(payload))
    let got = ''
    let timer = setTimeout(() => s.destroy(), idleMs)
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1')
      clearTimeout(timer)
      if (responseComplete(got)) s.end()
      else timer = setTimeout(() => s.destroy(), idleMs)
    })
    s.on('error', () => {})
    s.on('close', () => {
      clearTimeout(timer)
      resolve(got)
    })
  })
}

/** The lines of a forensic log with every id replaced by `ID`, for byte-for-byte comparison. */
export function maskIds (lines: string[]): string[] {
  return lines.map(l => {
    if (l.startsWith('+')) {
      const bar = l.indexOf('|')
      return '+ID' + (bar === -1 ? '' : l.slice(bar))
    }
    return l.startsWith('-') ? '-ID' : l
  })
}
