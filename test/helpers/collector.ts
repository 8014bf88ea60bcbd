import dgram from 'node:dgram'
import { rm } from 'node:fs/promises'
import net from 'node:net'
import tls from 'node:tls'

/**
 * Loopback collectors for tests: TCP (IPv4 or IPv6), TLS, unix socket and UDP. Each gathers
 * what it receives, per connection (or per datagram), and can wait for N lines, stop gracefully
 * (stop accepting, half-close, read until the client closes), crash (RST) and start again on
 * the same port or path.
 */

export type CollectorKind = 'tcp' | 'tls' | 'unix' | 'udp'

export interface Collector {
  readonly kind: CollectorKind
  readonly host: string
  /** The bound port (stays the same across restarts); 0 for unix sockets. */
  readonly port: number
  /** The unix socket path. */
  readonly path: string
  /** The channel URL that reaches this collector. */
  readonly url: string
  /** Connections accepted so far (datagrams for UDP). */
  readonly connections: number
  /** TLS handshakes that failed on the server side. */
  readonly tlsErrors: number
  /** Newline bytes received so far, over every connection. */
  readonly lineCount: number
  /** Every byte received, connection after connection, in the order connections were accepted. */
  bytes(): Buffer
  /**
   * Complete lines (without `\n`), connection after connection. A fragment left at the end of a
   * connection that died mid-line is not a line; see `fragments()`.
   */
  lines(): string[]
  /** Trailing pieces of lines cut off by a connection's end. */
  fragments(): string[]
  /** Datagrams received (UDP). */
  datagrams(): Buffer[]
  /** Resolves with `lines()` once `n` lines have arrived; rejects after `timeoutMs`. */
  waitForLines(n: number, timeoutMs?: number): Promise<string[]>
  /** Waits until there is no open connection (every client closed). */
  waitIdle(timeoutMs?: number): Promise<void>
  /** Stops reading (a slow or stuck reader); new connections start paused. */
  pause(): void
  resume(): void
  /** Half-closes every open connection (FIN) but keeps accepting new ones and reading. */
  halfClose(): void
  /** Bytes received on each connection, in the order connections were accepted. */
  bytesPerConnection(): number[]
  /** Stops accepting, half-closes every connection and reads until each client closes. */
  stop(timeoutMs?: number): Promise<void>
  /** Stops accepting and resets every connection (RST), losing what the kernel held. */
  crash(): Promise<void>
  /** Listens again on the same port or path. */
  restart(): Promise<void>
  /** Tears everything down (crash without caring). */
  close(): Promise<void>
  /** Forgets what was received so far. */
  clear(): void
}

export interface CollectorOptions {
  /** `127.0.0.1` (default) or `::1`. */
  host?: string
  /** A fixed port; an ephemeral one by default. */
  port?: number
  /** For unix collectors. */
  path?: string
  /** For TLS collectors. */
  tls?: tls.TlsOptions
}

interface Conn {
  socket: net.Socket
  chunks: Buffer[]
  open: boolean
}

class StreamCollector implements Collector {
  port = 0
  connections = 0
  tlsErrors = 0
  lineCount = 0
  private server: net.Server | null = null
  private conns: Conn[] = []
  private readonly raw = new Set<net.Socket>()
  private paused = false
  private waiters: Array<() => void> = []

  constructor (readonly kind: 'tcp' | 'tls' | 'unix', readonly host: string, readonly path: string, private readonly tlsOpts: tls.TlsOptions | undefined) {}

  get url (): string {
    if (this.kind === 'unix') return `unix://${this.path}`
    const h = this.host.includes(':') ? `[${this.host}]` : this.host
    return `${this.kind}://${h}:${this.port}`
  }

  async listen (): Promise<void> {
    const onConn = (socket: net.Socket): void => this.accept(socket)
    const server = this.kind === 'tls'
      ? tls.createServer({ ...this.tlsOpts, allowHalfOpen: true }, onConn)
      : net.createServer({ allowHalfOpen: true }, onConn)
    if (this.kind === 'tls') {
      server.on('tlsClientError', () => { this.tlsErrors++ })
    }
    // Every TCP connection, TLS handshake done or not, so that none outlives a stop or a crash.
    server.on('connection', (raw: net.Socket) => {
      this.raw.add(raw)
      raw.on('close', () => this.raw.delete(raw))
    })
    if (this.kind === 'unix') await rm(this.path, { force: true })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      if (this.kind === 'unix') server.listen(this.path, resolve)
      else server.listen({ host: this.host, port: this.port, exclusive: true }, resolve)
    })
    const addr = server.address()
    if (addr !== null && typeof addr === 'object') this.port = addr.port
    this.server = server
  }

  private accept (socket: net.Socket): void {
    this.connections++
    const conn: Conn = { socket, chunks: [], open: true }
    this.conns.push(conn)
    socket.on('data', (d: Buffer) => {
      conn.chunks.push(d)
      let i = -1
      while ((i = d.indexOf(10, i + 1)) !== -1) this.lineCount++
      this.wake()
    })
    socket.on('error', () => {})
    socket.on('end', () => socket.end())
    socket.on('close', () => {
      conn.open = false
      this.wake()
    })
    if (this.paused) socket.pause()
  }

  private wake (): void {
    const w = this.waiters
    this.waiters = []
    for (const fn of w) fn()
  }

  private until (test: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(check)
        if (i >= 0) this.waiters.splice(i, 1)
        reject(new Error(`collector ${this.url}: ${what()} within ${timeoutMs} ms`))
      }, timeoutMs)
      const check = (): void => {
        if (test()) {
          clearTimeout(timer)
          resolve()
        } else {
          this.waiters.push(check)
        }
      }
      check()
    })
  }

  bytes (): Buffer {
    return Buffer.concat(this.conns.flatMap(c => c.chunks))
  }

  private split (): { lines: string[], fragments: string[] } {
    const lines: string[] = []
    const fragments: string[] = []
    for (const c of this.conns) {
      const text = Buffer.concat(c.chunks).toString('utf8')
      const parts = text.split('\n')
      const tail = parts.pop() as string
      for (const p of parts) lines.push(p)
      if (tail.length > 0) fragments.push(tail)
    }
    return { lines, fragments }
  }

  lines (): string[] {
    return this.split().lines
  }

  fragments (): string[] {
    return this.split().fragments
  }

  datagrams (): Buffer[] {
    return []
  }

  async waitForLines (n: number, timeoutMs = 5000): Promise<string[]> {
    await this.until(() => this.lineCount >= n, timeoutMs, () => `expected ${n} lines, got ${this.lineCount}`)
    return this.lines()
  }

  waitIdle (timeoutMs = 5000): Promise<void> {
    return this.until(() => this.conns.every(c => !c.open), timeoutMs, () => 'connections still open')
  }

  pause (): void {
    this.paused = true
    for (const c of this.conns) c.socket.pause()
  }

  resume (): void {
    this.paused = false
    for (const c of this.conns) c.socket.resume()
  }

  halfClose (): void {
    for (const c of this.conns) if (c.open) c.socket.end()
  }

  bytesPerConnection (): number[] {
    return this.conns.map(c => c.chunks.reduce((n, b) => n + b.length, 0))
  }

  private async closeServer (): Promise<void> {
    const server = this.server
    this.server = null
    if (server !== null) await new Promise<void>(resolve => server.close(() => resolve()))
  }

  async stop (timeoutMs = 5000): Promise<void> {
    const closing = this.closeServer()
    for (const c of this.conns) if (c.open) c.socket.end()
    await this.waitIdle(timeoutMs)
    // Connections that never finished a TLS handshake carry no data: drop them.
    for (const raw of this.raw) raw.destroy()
    await closing
  }

  async crash (): Promise<void> {
    const closing = this.closeServer()
    for (const c of this.conns) {
      if (!c.open) continue
      const s = c.socket as net.Socket & { resetAndDestroy?: () => void }
      // TLS sockets have no RST of their own: reset the TCP socket under them.
      const raw = (s as net.Socket & { _parent?: net.Socket })._parent ?? s
      if (typeof (raw as typeof s).resetAndDestroy === 'function') (raw as typeof s).resetAndDestroy?.()
      else raw.destroy()
      if (raw !== s) s.destroy()
    }
    for (const raw of this.raw) raw.resetAndDestroy()
    await this.waitIdle(2000).catch(() => {})
    await closing
  }

  async restart (): Promise<void> {
    if (this.server !== null) throw new Error('collector is still listening')
    await this.listen()
  }

  async close (): Promise<void> {
    await this.crash()
    if (this.kind === 'unix') await rm(this.path, { force: true })
  }

  clear (): void {
    this.conns = this.conns.filter(c => c.open)
    for (const c of this.conns) c.chunks = []
    this.lineCount = 0
  }
}

class DatagramCollector implements Collector {
  readonly kind = 'udp'
  readonly path = ''
  port = 0
  tlsErrors = 0
  lineCount = 0
  private sock: dgram.Socket | null = null
  private received: Buffer[] = []
  private waiters: Array<() => void> = []

  constructor (readonly host: string) {}

  get url (): string {
    return `udp://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`
  }

  get connections (): number {
    return this.received.length
  }

  async listen (): Promise<void> {
    const sock = dgram.createSocket(this.host.includes(':') ? 'udp6' : 'udp4')
    sock.on('message', (m: Buffer) => {
      this.received.push(m)
      let i = -1
      while ((i = m.indexOf(10, i + 1)) !== -1) this.lineCount++
      const w = this.waiters
      this.waiters = []
      for (const fn of w) fn()
    })
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject)
      sock.bind({ address: this.host, port: this.port, exclusive: true }, resolve)
    })
    this.port = sock.address().port
    this.sock = sock
  }

  bytes (): Buffer {
    return Buffer.concat(this.received)
  }

  lines (): string[] {
    return this.received.flatMap(d => {
      const parts = d.toString('utf8').split('\n')
      if (parts[parts.length - 1] === '') parts.pop()
      return parts
    })
  }

  fragments (): string[] {
    return this.received.map(d => d.toString('utf8')).filter(s => !s.endsWith('\n'))
  }

  datagrams (): Buffer[] {
    return [...this.received]
  }

  waitForLines (n: number, timeoutMs = 5000): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`collector ${this.url}: expected ${n} lines, got ${this.lineCount} within ${timeoutMs} ms`)), timeoutMs)
      const check = (): void => {
        if (this.lineCount >= n) {
          clearTimeout(timer)
          resolve(this.lines())
        } else {
          this.waiters.push(check)
        }
      }
      check()
    })
  }

  async waitIdle (): Promise<void> {}
  halfClose (): void {}
  bytesPerConnection (): number[] {
    return this.received.map(d => d.length)
  }

  pause (): void {}
  resume (): void {}

  async stop (): Promise<void> {
    const sock = this.sock
    this.sock = null
    if (sock !== null) await new Promise<void>(resolve => sock.close(() => resolve()))
  }

  crash (): Promise<void> {
    return this.stop()
  }

  restart (): Promise<void> {
    return this.listen()
  }

  close (): Promise<void> {
    return this.stop()
  }

  clear (): void {
    this.received = []
    this.lineCount = 0
  }
}

export async function tcpCollector (opts: CollectorOptions = {}): Promise<Collector> {
  const c = new StreamCollector('tcp', opts.host ?? '127.0.0.1', '', undefined)
  if (opts.port !== undefined) c.port = opts.port
  await c.listen()
  return c
}

export async function tlsCollector (opts: CollectorOptions & { tls: tls.TlsOptions }): Promise<Collector> {
  const c = new StreamCollector('tls', opts.host ?? '127.0.0.1', '', opts.tls)
  if (opts.port !== undefined) c.port = opts.port
  await c.listen()
  return c
}

export async function unixCollector (opts: CollectorOptions & { path: string }): Promise<Collector> {
  const c = new StreamCollector('unix', '', opts.path, undefined)
  await c.listen()
  return c
}

export async function udpCollector (opts: CollectorOptions = {}): Promise<Collector> {
  const c = new DatagramCollector(opts.host ?? '127.0.0.1')
  if (opts.port !== undefined) c.port = opts.port
  await c.listen()
  return c
}
