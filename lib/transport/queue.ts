import type { ChannelStats } from './types.js'

/**
 * The bounded queue of one channel, and the channel's counters.
 *
 * `push` (the hot path) appends the line to an array: no Buffer, no closure, no string copy.
 * Every `flushLimit` characters the array is joined into one string (a batch) and measured in
 * UTF-8 once, so a line costs one array slot until its batch is written with one call.
 *
 * `dropLimit` bounds the UTF-8 bytes queued, exactly: lines not yet in a batch are counted at
 * 3 bytes per UTF-16 unit (the most UTF-8 needs), and only when that bound comes near
 * `dropLimit` is each line measured exactly. JSON keeps non-ASCII characters, so both matter.
 *
 * Lines a sink has taken but not yet confirmed stay counted in `lines`/`bytes` (they are still
 * "queued"): `written === sent + queued + dropped.*` holds after every call.
 */

/** Text of whole lines, each ending in `\n`, written with one call. */
export interface Batch {
  data: string
  lines: number
  bytes: number
}

/** Called when a line is dropped; a channel turns it into a rate-limited warning. */
export type DropListener = (reason: 'overflow' | 'oversize' | 'closed') => void

export class LineCounters {
  written = 0
  sent = 0
  bytesSent = 0
  /** Lines and bytes queued, those in flight included. */
  lines = 0
  bytes = 0
  errors = 0
  reconnects = 0
  readonly dropped = { overflow: 0, oversize: 0, closed: 0 }
  /** Set by close: every later line is dropped as `closed`. */
  closed = false
  /** Set when close gave up: what was still queued is counted as dropped, late confirmations are ignored. */
  abandoned = false
  private drainWaiters: Array<() => void> = []

  /** UTF-8 bytes queued, in flight included. */
  queuedBytes (): number {
    return this.bytes
  }

  snapshot (connected: boolean): ChannelStats {
    return {
      written: this.written,
      sent: this.sent,
      queued: this.lines,
      queuedBytes: this.queuedBytes(),
      dropped: { overflow: this.dropped.overflow, oversize: this.dropped.oversize, closed: this.dropped.closed },
      bytesSent: this.bytesSent,
      reconnects: this.reconnects,
      errors: this.errors,
      connected
    }
  }

  /** Resolves once nothing is queued (or at once). */
  drained (): Promise<void> {
    if (this.lines === 0) return Promise.resolve()
    return new Promise(resolve => this.drainWaiters.push(resolve))
  }

  protected confirmed (lines: number, bytes: number): void {
    if (this.abandoned) return
    this.sent += lines
    this.bytesSent += bytes
    this.lines -= lines
    this.bytes -= bytes
    if (this.lines === 0) this.wakeDrainWaiters()
  }

  /** Counts one line the sink gave up on as dropped (e.g. a datagram refused as too big). */
  dropTaken (reason: 'oversize' | 'closed', bytes: number): void {
    if (this.abandoned) return
    this.dropped[reason]++
    this.lines--
    this.bytes -= bytes
    if (this.lines === 0) this.wakeDrainWaiters()
  }

  /** Close gave up: everything still queued, in flight included, is dropped as `closed`. */
  /** Returns how many lines that dropped, for the channel's warning. */
  abandon (): number {
    if (this.abandoned) return 0
    const lost = this.lines
    this.dropped.closed += lost
    this.lines = 0
    this.bytes = 0
    this.abandoned = true
    this.closed = true
    this.clear()
    this.wakeDrainWaiters()
    return lost
  }

  protected clear (): void {}

  private wakeDrainWaiters (): void {
    const w = this.drainWaiters
    if (w.length === 0) return
    this.drainWaiters = []
    for (const fn of w) fn()
  }
}

/** Compact the sealed list once this many batches at its head were taken. */
const COMPACT_AT = 1024

export class StreamQueue extends LineCounters {
  /** Set by a timer or by `flush()`: write what is queued even below `flushLimit`. */
  flushWanted = false
  /** Lines not yet in a batch, their UTF-16 length (newlines included) and, near the bound, their exact bytes. */
  private cur: string[] = []
  private curChars = 0
  private curBytes = 0
  private curExact = false
  private sealed: Array<Batch | undefined> = []
  private head = 0

  constructor (
    private readonly flushLimit: number,
    private readonly dropLimit: number,
    /** Told when a batch becomes ready to write; the sink decides whether it can write now. */
    private readonly onReady: () => void,
    private readonly onDrop: DropListener
  ) {
    super()
  }

  /** The hot path: one line, without its newline. */
  push (line: string): boolean {
    this.written++
    if (this.closed) {
      this.dropped.closed++
      this.onDrop('closed')
      return false
    }
    if (typeof line !== 'string') line = String(line)
    const chars = line.length + 1
    // `bytes` holds the batches; the lines after them are at most 3 bytes per char.
    if (this.curExact || this.bytes + 3 * (this.curChars + chars) > this.dropLimit) return this.pushMeasured(line, chars)
    return this.append(line, chars)
  }

  /** Adds a line that fits to the current batch, sealing it when it reaches `flushLimit`. */
  private append (line: string, chars: number): boolean {
    this.cur.push(line)
    this.curChars += chars
    this.lines++
    if (this.curChars >= this.flushLimit) {
      this.seal()
      this.onReady()
    }
    return true
  }

  /** Near `dropLimit`: every line measured, so the bound is exact and never passed. */
  private pushMeasured (line: string, chars: number): boolean {
    if (!this.curExact) {
      this.curBytes = this.cur.length === 0 ? 0 : Buffer.byteLength(this.cur.join('\n'), 'utf8') + 1
      this.curExact = true
    }
    const bytes = Buffer.byteLength(line, 'utf8') + 1
    if (this.bytes + this.curBytes + bytes > this.dropLimit) {
      this.dropped.overflow++
      this.onDrop('overflow')
      return false
    }
    this.curBytes += bytes
    return this.append(line, chars)
  }

  override queuedBytes (): number {
    if (this.cur.length === 0) return this.bytes
    return this.bytes + (this.curExact ? this.curBytes : Buffer.byteLength(this.cur.join('\n'), 'utf8') + 1)
  }

  /** Whether a write should start now. */
  ready (): boolean {
    return this.head < this.sealed.length || (this.flushWanted && this.cur.length > 0)
  }

  /** Lines queued and not yet taken by a sink. */
  waiting (): boolean {
    return this.head < this.sealed.length || this.cur.length > 0
  }

  /**
   * Takes the next batch to write: sealed batches in order, merged up to `maxBytes` (always at
   * least one, unless `atLeastOne` is false), then the unsealed tail when a flush was asked for
   * or `tail` says so (a write that starts anyway takes it along). The lines stay counted as
   * queued until `confirm` or `restore`.
   */
  take (maxBytes: number, tail = false, atLeastOne = true): Batch | undefined {
    const withTail = tail || this.flushWanted
    if (this.head >= this.sealed.length) {
      if (!withTail || this.cur.length === 0) return undefined
      this.seal()
    }
    const b = this.sealed[this.head] as Batch
    if (!atLeastOne && b.bytes > maxBytes) return undefined
    this.sealed[this.head++] = undefined
    while (this.head < this.sealed.length) {
      const next = this.sealed[this.head] as Batch
      if (b.bytes + next.bytes > maxBytes) break
      b.data += next.data
      b.lines += next.lines
      b.bytes += next.bytes
      this.sealed[this.head++] = undefined
    }
    if (this.head >= this.sealed.length && withTail && this.cur.length > 0 && b.bytes + 3 * this.curChars <= maxBytes) {
      this.seal()
      const rest = this.sealed[this.head] as Batch
      this.sealed[this.head++] = undefined
      b.data += rest.data
      b.lines += rest.lines
      b.bytes += rest.bytes
    }
    if (this.head === this.sealed.length) {
      this.sealed.length = 0
      this.head = 0
      if (this.cur.length === 0) this.flushWanted = false
    } else if (this.head >= COMPACT_AT) {
      this.sealed = this.sealed.slice(this.head)
      this.head = 0
    }
    return b
  }

  /** The sink delivered `b` (handed it to the kernel, or wrote it to the file). */
  confirm (b: Batch): void {
    this.confirmed(b.lines, b.bytes)
  }

  /** The write of `b` failed before the kernel took it: it goes back to the front, order kept. */
  restore (b: Batch): void {
    if (this.abandoned) return
    if (this.head > 0) this.sealed[--this.head] = b
    else this.sealed.unshift(b)
  }

  /** Joins the pending lines into one batch and measures it once. */
  private seal (): void {
    const cur = this.cur
    cur.push('')
    const data = cur.join('\n')
    const bytes = this.curExact ? this.curBytes : Buffer.byteLength(data, 'utf8')
    this.sealed.push({ data, lines: cur.length - 1, bytes })
    this.bytes += bytes
    this.cur = []
    this.curChars = 0
    this.curBytes = 0
    this.curExact = false
  }

  protected override clear (): void {
    this.sealed = []
    this.head = 0
    this.cur = []
    this.curChars = 0
    this.curBytes = 0
    this.curExact = false
    this.flushWanted = false
  }
}
