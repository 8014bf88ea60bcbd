import type { Batch, StreamQueue } from './queue.js'

/**
 * Where a channel's queue goes. Several queues may share one sink (channels naming the same TCP
 * destination share one connection); the sink takes batches from them in turn.
 */
export interface Sink {
  attach(q: SinkQueue): void
  /** A queue has something ready: write now if the sink can. */
  kick(): void
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

/**
 * One batch in flight at a time, taken from the attached queues in turn. A write is confirmed
 * (lines count as sent) only when its callback reports success; a failed write is restored to
 * the front of its queue, so order holds and nothing is lost to a connection that refused it.
 */
export abstract class BatchSink implements Sink {
  protected readonly members: SinkQueue[] = []
  protected inflight: Batch | null = null
  protected inflightFrom: SinkQueue | null = null
  private turn = 0
  finished = false

  abstract readonly connected: boolean
  abstract kick (): void
  protected abstract finish (): Promise<void>

  attach (q: SinkQueue): void {
    this.members.push(q)
  }

  async detach (q: SinkQueue): Promise<void> {
    const i = this.members.indexOf(q)
    if (i >= 0) this.members.splice(i, 1)
    if (this.inflightFrom === q && q.queue.abandoned) {
      this.inflight = null
      this.inflightFrom = null
    }
    if (this.members.length === 0 && !this.finished) {
      this.finished = true
      await this.finish()
    }
  }

  /** Takes the next batch from the next queue that has one ready; `false` when none has. */
  protected takeNext (maxBytes = MAX_WRITE_BYTES): boolean {
    const n = this.members.length
    for (let i = 0; i < n; i++) {
      const m = this.members[(this.turn + i) % n]
      if (!m.queue.ready()) continue
      const b = m.queue.take(maxBytes)
      if (b === undefined) continue
      this.turn = (this.turn + i + 1) % n
      this.inflight = b
      this.inflightFrom = m
      return true
    }
    return false
  }

  /** Settles the batch in flight: confirmed, or put back for the next connection. */
  protected settle (ok: boolean): void {
    const b = this.inflight
    const m = this.inflightFrom
    this.inflight = null
    this.inflightFrom = null
    if (b === null || m === null) return
    if (ok) m.queue.confirm(b)
    else m.queue.restore(b)
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
