import dgram from 'node:dgram'
import dns from 'node:dns'
import { Backoff } from './backoff.js'
import type { ChannelEnv } from './channel.js'
import { DEFAULT_CLOSE_TIMEOUT } from './channel.js'
import type { ChannelConfig } from './options.js'
import { LineCounters } from './queue.js'
import { Reporter } from './reporter.js'
import type { Channel, ChannelStats, LookupFunction } from './types.js'

/** Datagrams handed to the kernel before their callbacks must come back. */
const ROUND = 32

type State = 'idle' | 'resolving' | 'open' | 'waiting' | 'closed'

/**
 * `udp://host:port` — one line per datagram, newline included, never split: a line whose
 * datagram would exceed `maxDatagram` is dropped as `oversize` when it is logged, and one the
 * kernel refuses as too big (EMSGSIZE) is dropped as `oversize` and counted as an error. Other
 * send errors put the line back, and the socket is made again after a backoff, the host
 * resolved anew.
 */
export class DatagramChannel extends LineCounters implements Channel {
  readonly name: string
  readonly url: string
  readonly maxLineBytes: number
  private readonly lines_: string[] = []
  private readonly sizes: number[] = []
  private head = 0
  private waitingBytes = 0
  private flushWanted = false
  private state: State = 'idle'
  private sock: dgram.Socket | null = null
  private round: string[] = []
  private roundSizes: number[] = []
  private roundDone = 0
  private roundFailed: number[] = []
  private roundError: unknown = undefined
  private readonly backoff: Backoff
  private retryTimer: NodeJS.Timeout | null = null
  private readonly timer: NodeJS.Timeout
  private readonly reporter: Reporter
  private closing: Promise<ChannelStats> | null = null
  private readonly host: string
  private readonly port: number
  private readonly onSent = (err: Error | null): void => this.sent1(err)
  private nextRound: NodeJS.Immediate | null = null
  private readonly sendNext = (): void => {
    this.nextRound = null
    this.sendRound()
  }

  constructor (private readonly cfg: ChannelConfig, env: ChannelEnv) {
    super()
    const e = cfg.endpoint as { host: string, port: number }
    this.host = e.host
    this.port = e.port
    this.name = cfg.name
    this.url = cfg.url
    this.maxLineBytes = cfg.maxDatagram - 1
    this.backoff = new Backoff(cfg.retry)
    this.reporter = new Reporter(cfg.name, cfg.url, () => this.stats(), env)
    this.timer = setInterval(() => this.flush(), cfg.flushInterval)
    this.timer.unref()
  }

  log (line: string): boolean {
    this.written++
    if (this.closed) {
      this.dropped.closed++
      this.reporter.drop('closed')
      return false
    }
    if (typeof line !== 'string') line = String(line)
    const bytes = Buffer.byteLength(line, 'utf8') + 1
    if (bytes > this.cfg.maxDatagram) {
      this.dropped.oversize++
      this.reporter.drop('oversize')
      return false
    }
    if (this.bytes + bytes > this.cfg.dropLimit) {
      this.dropped.overflow++
      this.reporter.drop('overflow')
      return false
    }
    this.lines_.push(line)
    this.sizes.push(bytes)
    this.lines++
    this.bytes += bytes
    this.waitingBytes += bytes
    if (this.waitingBytes >= this.cfg.flushLimit) this.kick()
    return true
  }

  flush (): void {
    if (this.head >= this.lines_.length) return
    this.flushWanted = true
    this.kick()
  }

  /** Datagrams are one line each: nothing to gain from waiting for the turn to end. */
  flushSoon (): void {
    this.flush()
  }

  stats (): ChannelStats {
    return this.snapshot(this.state === 'open')
  }

  close (timeoutMs = DEFAULT_CLOSE_TIMEOUT): Promise<ChannelStats> {
    if (this.closing === null) this.closing = this.shutdown(timeoutMs)
    return this.closing
  }

  private kick (): void {
    if (this.state === 'idle') this.open()
    else if (this.state === 'open' && this.round.length === 0) this.sendRound()
  }

  /** Resolves the host (every time: a new socket follows the name) and connects a socket. */
  private open (): void {
    this.state = 'resolving'
    const lookup: LookupFunction = this.cfg.lookup ?? (dns.lookup as unknown as LookupFunction)
    lookup(this.host, {}, (err, address, family) => {
      if (this.state !== 'resolving') return
      if (err !== null) return this.fail(err)
      const addr = typeof address === 'string' ? address : address[0]?.address
      const fam = typeof address === 'string' ? family : address[0]?.family
      if (addr === undefined) return this.fail(new Error(`no address for ${this.host}`))
      const sock = dgram.createSocket(fam === 6 ? 'udp6' : 'udp4')
      this.sock = sock
      sock.on('error', e => { if (sock === this.sock) this.fail(e) })
      sock.connect(this.port, addr, () => {
        if (sock !== this.sock || this.state !== 'resolving') return
        this.state = 'open'
        this.backoff.reset()
        this.sendRound()
      })
    })
  }

  private sendRound (): void {
    const sock = this.sock
    if (sock === null || this.state !== 'open') return
    const waiting = this.lines_.length - this.head
    if (waiting === 0 || (!this.flushWanted && this.waitingBytes < this.cfg.flushLimit)) return
    const n = Math.min(ROUND, waiting)
    this.round = this.lines_.slice(this.head, this.head + n)
    this.roundSizes = this.sizes.slice(this.head, this.head + n)
    this.head += n
    for (const s of this.roundSizes) this.waitingBytes -= s
    if (this.head === this.lines_.length) {
      this.lines_.length = 0
      this.sizes.length = 0
      this.head = 0
      this.flushWanted = false
    } else if (this.head >= 4096) {
      this.lines_.splice(0, this.head)
      this.sizes.splice(0, this.head)
      this.head = 0
    }
    this.roundDone = 0
    this.roundFailed = []
    this.roundError = undefined
    for (const line of this.round) sock.send(line + '\n', this.onSent)
  }

  private sent1 (err: Error | null): void {
    if (this.round.length === 0) return
    const i = this.roundDone++
    if (err === null) {
      this.confirmed(1, this.roundSizes[i])
    } else if ((err as NodeJS.ErrnoException).code === 'EMSGSIZE') {
      this.errors++
      this.reporter.error(err)
      this.dropTaken('oversize', this.roundSizes[i])
    } else {
      this.roundFailed.push(i)
      this.roundError = err
    }
    if (this.roundDone < this.round.length) return
    const failed = this.roundFailed
    if (failed.length > 0) {
      // Back to the front, in order; the socket is made again after the backoff.
      const lines = failed.map(j => this.round[j])
      const sizes = failed.map(j => this.roundSizes[j])
      this.lines_.splice(this.head, 0, ...lines)
      this.sizes.splice(this.head, 0, ...sizes)
      for (const s of sizes) this.waitingBytes += s
      this.round = []
      this.fail(this.roundError)
      return
    }
    this.round = []
    // The next round after a turn of the loop: a collector on this host gets to read.
    if (this.nextRound === null) this.nextRound = setImmediate(this.sendNext)
  }

  private fail (err: unknown): void {
    if (this.state === 'closed' || this.state === 'waiting') return
    if (this.round.length > 0 && this.roundDone < this.round.length) {
      // Callbacks of this round still to come: they settle it; the failure is handled then.
      this.roundError = err
      return
    }
    this.errors++
    this.reporter.error(err)
    const sock = this.sock
    this.sock = null
    if (sock !== null) sock.close()
    this.state = 'waiting'
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      if (this.state !== 'waiting') return
      this.state = 'idle'
      if (this.head < this.lines_.length) this.open()
    }, this.backoff.next())
  }

  private async shutdown (timeoutMs: number): Promise<ChannelStats> {
    this.closed = true
    clearInterval(this.timer)
    if (this.lines > 0) {
      this.flush()
      let t: NodeJS.Timeout | undefined
      await Promise.race([this.drained(), new Promise<void>(resolve => { t = setTimeout(resolve, Math.max(0, timeoutMs)) })])
      clearTimeout(t)
    }
    if (this.lines > 0) this.reporter.drop('closed', this.abandon())
    this.state = 'closed'
    if (this.nextRound !== null) clearImmediate(this.nextRound)
    this.nextRound = null
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = null
    const sock = this.sock
    this.sock = null
    this.round = []
    if (sock !== null) await new Promise<void>(resolve => sock.close(() => resolve()))
    this.reporter.flushNow()
    return this.stats()
  }

  protected override clear (): void {
    this.lines_.length = 0
    this.sizes.length = 0
    this.head = 0
    this.waitingBytes = 0
  }
}
