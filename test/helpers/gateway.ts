import { spawn } from 'node:child_process'
import http from 'node:http'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The built gateway (`npm test` builds before it runs the tests). */
export const GATEWAY_MAIN = fileURLToPath(new URL('../../dist/example-app/server.js', import.meta.url))

/** The gateway as a user starts it: a real process with WAF_* settings. */
export interface GatewayProcess {
  child: ChildProcess
  port: number
  stdout: () => string
  stderr: () => string
  /** Sends the signal and resolves the exit code (or the signal name). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>
}

export async function startGateway (env: Record<string, string>, cwd: string, timeoutMs = 30_000): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [GATEWAY_MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', WAF_HOST: '127.0.0.1', WAF_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { out += d })
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { err += d })
  const exited = new Promise<number | string>(resolve => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start within ${timeoutMs} ms\n${out}\n${err}`)), timeoutMs)
    const poll = setInterval(() => {
      const m = /listening on https?:\/\/[^ ]*:(\d+) /.exec(out)
      // The banner's last line: the whole banner is in `out` once it is.
      if (m !== null && out.includes('  try: ')) {
        clearInterval(poll)
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    }, 20)
    void exited.then(code => {
      clearInterval(poll)
      clearTimeout(timer)
      reject(new Error(`gateway exited with ${code} before listening\n${out}\n${err}`))
    })
  })
  return {
    child,
    port,
    stdout: () => out,
    stderr: () => err,
    async stop (signal = 'SIGTERM', ms = 20_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), ms)
      const code = await exited
      clearTimeout(timer)
      return code
    }
  }
}

/** Runs the gateway expecting it to refuse its configuration. */
export async function gatewayRefuses (env: Record<string, string>, cwd: string): Promise<{ code: number | null, stderr: string }> {
  const child = spawn(process.execPath, [GATEWAY_MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? '', WAF_HOST: '127.0.0.1', WAF_PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let err = ''
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { err += d })
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  const code = await new Promise<number | null>(resolve => child.once('exit', c => resolve(c)))
  clearTimeout(timer)
  return { code, stderr: err }
}

/** A GET as a browser sends it to `shop.example` through the gateway: its status and the request id the gateway answered with. */
export function browserGet (port: number, path: string): Promise<{ status: number, id: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers: { host: 'shop.example', 'user-agent': 'Mozilla/5.0', accept: 'text/html' }, agent: false }, res => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, id: String(res.headers['x-request-id']) }))
    }).on('error', reject)
  })
}
