import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A real nginx (Debian's nginx-light) on a loopback port, started from a throwaway prefix in a
 * temp dir with `log_format`s of the test's choosing, one access log file per format. It is the
 * reference the access log's nginx formats are compared with, byte for byte.
 */

export const NGINX_BIN = '/usr/sbin/nginx'

export function nginxMissing (): string | undefined {
  return existsSync(NGINX_BIN) ? undefined : `${NGINX_BIN} is not installed (apt-get install nginx-light)`
}

export interface NginxFormat {
  /** The log_format string; it must not contain a single quote. */
  format: string
  escape?: 'default' | 'json' | 'none'
}

export interface Nginx {
  port: number
  dir: string
  /** The access log of a format, read as bytes. */
  read(name: string): Buffer
  /** Waits until the log of `name` holds at least `n` lines; returns them (latin1, one char per byte). */
  waitForLines(name: string, n: number, timeoutMs?: number): Promise<string[]>
  stop(): Promise<void>
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port
      srv.close(() => resolve(port))
    })
  })
}

async function waitForPort (port: number, child: ChildProcess, timeoutMs: number, errors: () => string): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${errors()}`)
    const ok = await new Promise<boolean>(resolve => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  throw new Error(`nginx did not listen on 127.0.0.1:${port} within ${timeoutMs} ms: ${errors()}`)
}

function quote (s: string): string {
  if (s.includes("'")) throw new Error(`nginx test formats cannot hold a single quote: ${s}`)
  return `'${s.replaceAll('\\', '\\\\')}'`
}

/**
 * Starts nginx in the foreground (`daemon off`) with every format logged for every request.
 * `location` is the body of `location /` (default: `return 200 "ok\n";`); `main` lines go before
 * `events` (`load_module …`), `server` lines into the server block (`modsecurity on; …`).
 */
export async function startNginx (formats: Record<string, NginxFormat>, opts: { location?: string, main?: string[], server?: string[] } = {}): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'waf-nginx-'))
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const errorLog = join(dir, 'error.log')
  const port = await freePort()
  const conf = [
    ...(opts.main ?? []),
    ...(asRoot ? ['user root;'] : []),
    'worker_processes 1;',
    `error_log ${errorLog} warn;`,
    `pid ${join(dir, 'nginx.pid')};`,
    'events { worker_connections 64; }',
    'http {',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(k => `  ${k}_temp_path ${join(dir, k)};`),
    ...Object.entries(formats).map(([name, f]) => `  log_format ${name} escape=${f.escape ?? 'default'} ${quote(f.format)};`),
    ...Object.keys(formats).map(name => `  access_log ${join(dir, name + '.log')} ${name};`),
    '  server {',
    `    listen 127.0.0.1:${port};`,
    '    server_name localhost;',
    ...(opts.server ?? []).map(l => `    ${l}`),
    `    location / { ${opts.location ?? 'return 200 "ok\\n";'} }`,
    '  }',
    '}',
    ''
  ].join('\n')
  const confFile = join(dir, 'nginx.conf')
  writeFileSync(confFile, conf)
  const child = spawn(NGINX_BIN, ['-p', dir, '-c', confFile, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', d => { stderr += d })
  const errors = (): string => stderr + (existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '')
  try {
    await waitForPort(port, child, 10000, errors)
  } catch (err) {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const exited = new Promise<void>(resolve => {
    if (child.exitCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  const read = (name: string): Buffer => {
    const file = join(dir, name + '.log')
    return existsSync(file) ? readFileSync(file) : Buffer.alloc(0)
  }
  let stopped = false
  return {
    port,
    dir,
    read,
    async waitForLines (name, n, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const lines = read(name).toString('latin1').split('\n').filter(l => l.length > 0)
        if (lines.length >= n) return lines
        if (Date.now() > until) throw new Error(`nginx log ${name} has ${lines.length} lines, not ${n}: ${errors()}`)
        await new Promise(resolve => setTimeout(resolve, 20))
      }
    },
    async stop () {
      if (stopped) return
      stopped = true
      await stopNginx(child, exited)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
export async function stopNginx (child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}
