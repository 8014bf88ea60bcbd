import net from 'node:net'
import { responseComplete } from '../helpers/raw-http.js'

export interface FtwResponse {
  /** 0 when no status line came back. */
  status: number
  /** The `x-waf-id` header the test app sets: the request's id in the attack log. */
  id: string | undefined
  /** A connection error or a timeout, as go-ftw's expect_error sees it. */
  error: string | undefined
}

/**
 * Sends one go-ftw request over its own connection, byte for byte, and reads one response:
 * until it is complete (Content-Length or chunked), the server closes, or `timeoutMs`.
 */
export function sendRaw (port: number, bytes: Buffer, timeoutMs: number): Promise<FtwResponse> {
  return new Promise(resolve => {
    const sock = net.connect({ host: '127.0.0.1', port })
    let text = ''
    let done = false
    let error: string | undefined
    const finish = (): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock.destroy()
      const head = text.slice(0, Math.max(0, text.indexOf('\r\n\r\n')))
      const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(text)?.[1] ?? 0)
      const id = /\r\nx-waf-id: *([A-Za-z0-9_-]+)/i.exec(head)?.[1]
      resolve({ status, id, error: status === 0 ? (error ?? 'no response') : undefined })
    }
    const timer = setTimeout(() => { error = `timeout after ${timeoutMs} ms`; finish() }, timeoutMs)
    sock.on('connect', () => sock.write(bytes))
    sock.on('data', (d: Buffer) => {
      text += d.toString('latin1')
      if (responseComplete(text)) finish()
    })
    sock.on('error', err => { error = err.message; finish() })
    sock.on('close', finish)
  })
}
