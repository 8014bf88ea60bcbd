import net from 'node:net'

/** One exchange over a raw TCP socket, with the bytes counted on the wire. */
export interface RawExchange {
  /** The whole response as received (latin1, so every byte maps to one char). */
  response: string
  status: number
  bytesSent: number
  bytesReceived: number
}

/**
 * Sends `request` bytes as they are (no normalisation) and reads until the server closes or one
 * full response has arrived (`Content-Length` or chunked). Bounded by `timeoutMs`.
 */
export function rawRequest (port: number, request: string | Buffer, opts: { host?: string, timeoutMs?: number } = {}): Promise<RawExchange> {
  const host = opts.host ?? '127.0.0.1'
  const payload = typeof request === 'string' ? Buffer.from(request, 'latin1') : request
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port })
    const chunks: Buffer[] = []
    let received = 0
    let settled = false
    const timer = setTimeout(() => finish(new Error(`raw request to ${host}:${port} timed out`)), opts.timeoutMs ?? 5000)
    function finish (err?: Error): void {
      if (settled) return
      settled = true
      clearTimeout(timer)
      sock.destroy()
      if (err !== undefined) return reject(err)
      const response = Buffer.concat(chunks).toString('latin1')
      const m = /^HTTP\/\d\.\d (\d{3})/.exec(response)
      resolve({ response, status: m === null ? 0 : Number(m[1]), bytesSent: payload.length, bytesReceived: received })
    }
    sock.on('connect', () => sock.write(payload))
    sock.on('data', (d: Buffer) => {
      chunks.push(d)
      received += d.length
      if (responseComplete(Buffer.concat(chunks).toString('latin1'))) finish()
    })
    sock.on('end', () => finish())
    sock.on('close', () => finish())
    sock.on('error', err => finish(err))
  })
}

/** Whether `s` holds one complete HTTP/1.x response. */
export function responseComplete (s: string): boolean {
  const end = s.indexOf('\r\n\r\n')
  if (end === -1) return false
  const head = s.slice(0, end).toLowerCase()
  const body = s.length - end - 4
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(head)
  if (cl !== null) return body >= Number(cl[1])
  if (/\r\ntransfer-encoding:\s*chunked/.test(head)) return s.endsWith('\r\n0\r\n\r\n')
  if (/^http\/\d\.\d (1\d\d|204|304)/.test(head)) return true
  return false
}

/** A GET request with CRLF line ends and the given headers, in order. */
export function buildRequest (method: string, target: string, headers: Array<[string, string]>, body = '', version = 'HTTP/1.1'): string {
  let s = `${method} ${target} ${version}\r\n`
  for (const [k, v] of headers) s += `${k}: ${v}\r\n`
  return s + '\r\n' + body
}

/** A raw connection kept open: write bytes when the test says, wait for what arrives, see the close. */
export interface RawConnection {
  write(data: string | Buffer): void
  /** Everything received so far (latin1). */
  received(): string
  /** Resolves with `received()` once `test` holds for it; rejects after `timeoutMs`. */
  waitFor(test: (received: string) => boolean, timeoutMs?: number): Promise<string>
  /** Resolves when the server ended or closed the connection. */
  closed: Promise<void>
  destroy(): void
}

export async function openConnection (port: number, host = '127.0.0.1'): Promise<RawConnection> {
  const sock = net.connect({ host, port })
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve)
    sock.once('error', reject)
  })
  let data = ''
  const waiters: Array<() => void> = []
  sock.on('data', (d: Buffer) => {
    data += d.toString('latin1')
    for (const w of waiters.splice(0)) w()
  })
  sock.on('error', () => {})
  const closed = new Promise<void>(resolve => {
    sock.once('end', () => resolve())
    sock.once('close', () => resolve())
  })
  return {
    write: d => { sock.write(typeof d === 'string' ? Buffer.from(d, 'latin1') : d) },
    received: () => data,
    waitFor (test, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting; received so far: ${JSON.stringify(data.slice(0, 500))}`)), timeoutMs)
        const check = (): void => {
          if (test(data)) {
            clearTimeout(timer)
            resolve(data)
            return
          }
          if (sock.destroyed || sock.readableEnded) {
            clearTimeout(timer)
            reject(new Error(`connection closed; received: ${JSON.stringify(data.slice(0, 500))}`))
            return
          }
          waiters.push(check)
        }
        check()
      })
    },
    closed,
    destroy: () => { sock.destroy() }
  }
}
