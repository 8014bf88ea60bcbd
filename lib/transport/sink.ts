import type { Batch, StreamQueue } from './queue.js'

/**
 * Where a channel's queue goes. Several queues may share one sink (channels naming the same TCP
 * destination share one connection); a write starts from them in turn and carries what the
 * others have waiting too.
 */
export interface Sink {
  attach(q: SinkQueue): void
  /** A queue has something ready: write now if the sink can. */
  kick(): void
  /** A queue wants a write at the end of this event-loop turn, with every line queued by then. */
  kickSoon(): void
  /** The queue's channel closed (drained or abandoned); the sink closes once no queue is left. */
  detach(q: SinkQueue): Promise<void>
  readonly connected: boolean
  /** Every channel left and the sink closed: it takes no new channel. */
  readonly finished: boolean
}

/** What a sink needs from a channel besides its queue: where to report its failures. */
export interface SinkQueue {
  readonly queue: StreamQueue
  error(err: unknown): void
}

/** Largest single write; beyond it a batch is split so one write never holds the loop for long. */
export const MAX_WRITE_BYTES = 1024 * 1024

/** One write: the batches of one or more channels sharing the sink, one after the other. */
export class Write {
  data = ''
  bytes = 0
  /** The channels whose lines it carries, each with its batch, in write order. */
  readonly from: SinkQueue[] = []
  readonly batches: Batch[] = []

  add (q: SinkQueue, b: Batch): void {
    this.data += b.data
    this.bytes += b.bytes
    this.from.push(q)
    this.batches.push(b)
  }
}

/**
 * One write in flight at a time. A write starts when a queue is ready (a batch sealed at
 * `flushLimit`, or a flush asked for), taking the queues in turn; it also carries every line the
 * other queues on the sink have waiting, up to `MAX_WRITE_BYTES`, since one larger write costs
 * less than several small ones (on loopback a send does the receiver's work too). A write is
 * confirmed (lines count as sent) only when its callback reports success; a failed write is
 * restored to the front of each queue it took from, so order holds and nothing is lost to a
 * connection that refused it.
 */
export abstract class BatchSink implements Sink {
  protected readonly members: SinkQueue[] = []
  protected inflight: Write | null = null
  private turn = 0
  private soon = false
  finished = false

  abstract readonly connected: boolean
  abstract kick (): void
  protected abstract finish (): Promise<void>

  attach (q: SinkQueue): void {
    this.members.push(q)
  }

  kickSoon (): void {
    if (this.soon) return
    this.soon = true
    setImmediate(this.turnEnded)
  }

  /** Once per event-loop turn at most, for every channel of the sink: one write for all. */
  private readonly turnEnded = (): void => {
    this.soon = false
    if (!this.finished) this.kick()
  }

  async detach (q: SinkQueue): Promise<void> {
    const i = this.members.indexOf(q)
    if (i >= 0) this.members.splice(i, 1)
    const w = this.inflight
    if (w !== null && q.queue.abandoned) {
      // Its lines are counted as dropped; the rest of the write, if any, is still in flight.
      for (let k = w.from.length - 1; k >= 0; k--) {
        if (w.from[k] !== q) continue
        w.from.splice(k, 1)
        w.batches.splice(k, 1)
      }
      if (w.from.length === 0) this.inflight = null
    }
    if (this.members.length === 0 && !this.finished) {
      this.finished = true
      await this.finish()
    }
  }

  /**
   * Starts the next write from the next queue that is ready, then adds what every other queue has
   * waiting while it fits in `maxBytes`; `false` when no queue is ready.
   */
  protected takeNext (maxBytes = MAX_WRITE_BYTES): boolean {
    const members = this.members
    const n = members.length
    for (let i = 0; i < n; i++) {
      const at = (this.turn + i) % n
      const m = members[at]
      if (!m.queue.ready()) continue
      const b = m.queue.take(maxBytes, true)
      if (b === undefined) continue
      this.turn = (at + 1) % n
      const w = new Write()
      w.add(m, b)
      for (let k = 1; k < n && w.bytes < maxBytes; k++) {
        const other = members[(at + k) % n]
        if (!other.queue.waiting()) continue
        const more = other.queue.take(maxBytes - w.bytes, true, false)
        if (more !== undefined) w.add(other, more)
      }
      this.inflight = w
      return true
    }
    return false
  }

  /** Settles the write in flight: confirmed, or put back for the next connection. */
  protected settle (ok: boolean): void {
    const w = this.inflight
    this.inflight = null
    if (w === null) return
    for (let k = 0; k < w.from.length; k++) {
      if (ok) w.from[k].queue.confirm(w.batches[k])
      else w.from[k].queue.restore(w.batches[k])
    }
  }

  /** Whether any attached queue holds lines not yet taken. */
  protected anyWaiting (): boolean {
    for (const m of this.members) if (m.queue.waiting()) return true
    return false
  }

  protected eachError (err: unknown): void {
    for (const m of this.members) {
      m.queue.errors++
      m.error(err)
    }
  }
}
