import net from 'node:net'
import tls from 'node:tls'
import { Backoff } from './backoff.js'
import type { ChannelConfig } from './options.js'
import { BatchSink } from './sink.js'
import type { Write } from './sink.js'

type State = 'idle' | 'connecting' | 'open' | 'ending' | 'waiting' | 'closed'

/**
 * One TCP, TLS or unix-socket connection to a collector, shared by every channel that names it.
 *
 * - Connects when there is something to write, and again after every loss, with backoff; the
 *   host name is resolved on every connect (`net.connect` looks it up each time).
 * - Real backpressure: one batch in flight, the next written only when the kernel has taken the
 *   previous one (the write callback), so nothing piles up in the socket's buffer.
 * - A FIN from the collector stops writes to that connection at once; the connection is ended
 *   from this side after the write in flight, and the next batch goes to a new connection.
 * - `keepalive`: a connection idle that long is ended, and opened again for the next line.
 */
export class StreamLink extends BatchSink {
  private state: State = 'idle'
  private sock: net.Socket | null = null
  private everOpened = false
  /** The current connection has delivered a write: a clean close of it is no failure. */
  private useful = false
  private readonly backoff: Backoff
  private retryTimer: NodeJS.Timeout | null = null
  /**
   * The connect or write deadline: one timer per link, refreshed at each start instead of a new
   * one set and cleared per write (at a fixed rate every request's turn has its write). It is
   * unref'd (the socket keeps the process alive while it connects or writes), and when it fires
   * with nothing in progress (`ioWhat` null) it does nothing.
   */
  private ioTimer: NodeJS.Timeout | null = null
  private ioWhat: 'connect' | 'write' | null = null
  private ioSock: net.Socket | null = null
  private closeWaiters: Array<() => void> = []

  constructor (private readonly cfg: ChannelConfig) {
    super()
    this.backoff = new Backoff(cfg.retry)
  }

  get connected (): boolean {
    return this.state === 'open'
  }

  kick (): void {
    if (this.state === 'open') this.pump()
    else if (this.state === 'idle' && this.anyWaiting()) this.connect()
  }

  private connect (): void {
    this.state = 'connecting'
    const cfg = this.cfg
    const e = cfg.endpoint
    let sock: net.Socket
    const ready = (): void => this.opened(sock)
    if (e.kind === 'unix') {
      sock = net.connect({ path: e.path, allowHalfOpen: true }, ready)
    } else if (e.kind === 'tls') {
      const t = cfg.tls ?? { rejectUnauthorized: true }
      sock = tls.connect({
        host: e.host,
        port: e.port,
        servername: t.servername ?? (net.isIP(e.host) === 0 ? e.host : undefined),
        ca: t.ca,
        cert: t.cert,
        key: t.key,
        rejectUnauthorized: t.rejectUnauthorized,
        lookup: cfg.lookup
      }, ready)
    } else {
      sock = net.connect({ host: (e as { host: string }).host, port: (e as { port: number }).port, lookup: cfg.lookup, allowHalfOpen: true }, ready)
    }
    this.sock = sock
    // Nagle's algorithm on (unless `noDelay`): a write made while an earlier segment is still
    // unacknowledged waits in the kernel and leaves with the next ones. A write is the kernel's
    // at once either way (what `sent` counts and `immediate` promises); what it saves is a
    // segment, and the collector's wake-up, per event-loop turn (docs/profiling.md).
    sock.setNoDelay(cfg.noDelay)
    sock.on('error', err => this.failed(sock, err))
    sock.on('end', () => this.peerEnded(sock))
    sock.on('close', () => this.lost(sock))
    sock.on('timeout', () => this.idle(sock))
    // Collectors do not talk back; reading keeps the FIN observable.
    sock.on('data', noop)
    this.armTimer('connect')
  }

  private opened (sock: net.Socket): void {
    if (sock !== this.sock || this.state !== 'connecting') return
    this.clearTimer()
    this.state = 'open'
    this.useful = false
    if (this.everOpened) for (const m of this.members) m.queue.reconnects++
    this.everOpened = true
    if (this.cfg.keepalive > 0) sock.setTimeout(this.cfg.keepalive)
    this.pump()
  }

  private pump (): void {
    const sock = this.sock
    if (this.state !== 'open' || this.inflight !== null || sock === null || sock.destroyed) return
    if (!this.takeNext()) return
    const b = this.inflight as Write | null
    if (b === null) return
    this.armTimer('write')
    sock.write(b.data, 'utf8', err => this.written(sock, b, err))
  }

  private written (sock: net.Socket, b: Write, err: Error | null | undefined): void {
    if (sock !== this.sock) return
    if (b !== this.inflight) {
      // A write whose channel gave up on it at close; the other channels here go on.
      if (this.state === 'open') this.pump()
      return
    }
    this.clearTimer()
    const ok = err === null || err === undefined
    this.settle(ok)
    // After a failed write the socket is going away; 'close' reconnects.
    if (!ok) return
    if (!this.useful) {
      this.useful = true
      this.backoff.reset()
    }
    if (this.state === 'open') this.pump()
    else if (this.state === 'ending') sock.end()
  }

  /** The collector half-closed: no more writes here; end this side once the write in flight is done. */
  private peerEnded (sock: net.Socket): void {
    if (sock !== this.sock) return
    if (this.state === 'open' || this.state === 'connecting') this.state = 'ending'
    if (this.inflight === null) sock.end()
  }

  private failed (sock: net.Socket, err: Error): void {
    if (sock !== this.sock) return
    this.eachError(err)
  }

  /** Idle for `keepalive` ms: end it; the next line opens a new one. */
  private idle (sock: net.Socket): void {
    if (sock !== this.sock || this.state !== 'open' || this.inflight !== null || this.anyWaiting()) return
    this.state = 'ending'
    sock.end()
  }

  private lost (sock: net.Socket): void {
    if (sock !== this.sock) return
    this.clearTimer()
    const cleanAfterUse = this.useful && sock.errored === null
    // A write the kernel never confirmed goes back to its queue for the next connection.
    if (this.inflight !== null) this.settle(false)
    this.sock = null
    if (this.state === 'closed') {
      this.wakeClosers()
      return
    }
    this.state = 'idle'
    if (!this.anyWaiting()) return
    // A connection that delivered and then ended cleanly is replaced at once. One that failed, or
    // closed before delivering anything (a collector refusing work), waits its backoff.
    const delay = cleanAfterUse ? 0 : this.backoff.next()
    this.state = 'waiting'
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      if (this.state !== 'waiting') return
      this.state = 'idle'
      this.kick()
    }, delay)
  }

  /** Both deadlines are the channel's `timeout`: a refreshed timer keeps the duration it was made with. */
  private armTimer (what: 'connect' | 'write'): void {
    this.ioWhat = what
    this.ioSock = this.sock
    if (this.ioTimer !== null) {
      this.ioTimer.refresh()
      return
    }
    this.ioTimer = setTimeout(() => this.ioExpired(), this.cfg.timeout)
    this.ioTimer.unref()
  }

  private ioExpired (): void {
    const ms = this.cfg.timeout
    const what = this.ioWhat
    const sock = this.ioSock
    this.ioWhat = null
    this.ioSock = null
    if (what === null || sock === null || sock !== this.sock) return
    const err = Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEDOUT' })
    sock.destroy(err)
  }

  private clearTimer (): void {
    this.ioWhat = null
    this.ioSock = null
  }

  protected async finish (): Promise<void> {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = null
    if (this.ioTimer !== null) clearTimeout(this.ioTimer)
    this.ioTimer = null
    const sock = this.sock
    const prev = this.state
    this.state = 'closed'
    if (sock === null) return
    const closed = new Promise<void>(resolve => this.closeWaiters.push(resolve))
    if (this.inflight !== null || prev === 'connecting') {
      sock.destroy()
    } else {
      sock.end()
      // A collector that never closes its side must not hold the app's shutdown.
      const t = setTimeout(() => sock.destroy(), 1000)
      t.unref()
    }
    await closed
  }

  private wakeClosers (): void {
    const w = this.closeWaiters
    this.closeWaiters = []
    for (const fn of w) fn()
  }
}

function noop (): void {}
