import type { Writable } from 'node:stream'
import { Backoff } from './backoff.js'
import type { ResolvedRetry } from './options.js'
import { BatchSink } from './sink.js'
import type { Write } from './sink.js'

/**
 * `stdout:` — batches written to the process's standard output (or any writable given), one
 * in flight at a time. The stream is never ended: it belongs to the process.
 */
export class StdoutSink extends BatchSink {
  private closed = false
  private readonly failedAt: Backoff
  private retryTimer: NodeJS.Timeout | null = null
  /** Failures are counted by the write callback; the event only must not go unheard. */
  private readonly onStreamError = (): void => {}

  constructor (retry: ResolvedRetry, private readonly out: Writable = process.stdout) {
    super()
    this.failedAt = new Backoff(retry)
    // An EPIPE on stdout is emitted as an event too; without a listener it would end the process.
    out.on('error', this.onStreamError)
  }

  get connected (): boolean {
    return !this.closed && this.out.writable
  }

  kick (): void {
    if (this.closed || this.inflight !== null || this.retryTimer !== null) return
    if (!this.takeNext()) return
    const b = this.inflight as Write | null
    if (b === null) return
    this.out.write(b.data, 'utf8', err => this.written(b, err))
  }

  private written (b: Write, err: Error | null | undefined): void {
    if (b !== this.inflight) {
      // A write whose channel gave up on it at close; the other channels go on.
      this.kick()
      return
    }
    if (err === null || err === undefined) {
      this.settle(true)
      this.failedAt.reset()
      this.kick()
      return
    }
    this.settle(false)
    this.eachError(err)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.kick()
    }, this.failedAt.next())
  }

  protected async finish (): Promise<void> {
    this.closed = true
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = null
    this.out.off('error', this.onStreamError)
  }
}
