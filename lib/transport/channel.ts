import type { ChannelConfig } from './options.js'
import { StreamQueue } from './queue.js'
import { Reporter } from './reporter.js'
import type { WarningEnv } from './reporter.js'
import type { Sink, SinkQueue } from './sink.js'
import type { Channel, ChannelStats } from './types.js'

/** What every channel of a transport shares: where its warnings go. */
export type ChannelEnv = WarningEnv

/** Default for `close()` without a timeout. */
export const DEFAULT_CLOSE_TIMEOUT = 5000

/**
 * A named channel over a byte stream (TCP, TLS, unix socket, file, stdout): its own bounded
 * queue, counters and flush timer, writing through a sink that may be shared with other channels.
 */
export class QueueChannel implements Channel, SinkQueue {
  readonly name: string
  readonly url: string
  readonly maxLineBytes = Infinity
  readonly queue: StreamQueue
  private readonly reporter: Reporter
  private readonly timer: NodeJS.Timeout
  private closing: Promise<ChannelStats> | null = null

  constructor (cfg: ChannelConfig, private readonly sink: Sink, env: ChannelEnv) {
    this.name = cfg.name
    this.url = cfg.url
    this.reporter = new Reporter(cfg.name, cfg.url, () => this.stats(), env)
    const reporter = this.reporter
    // A batch sealed at flushLimit is written when the event-loop turn ends, with everything the
    // turn queued on the sink: one write for the lines of many requests. flushLimit 0 writes at once.
    const ready = cfg.flushLimit === 0 ? () => sink.kick() : () => sink.kickSoon()
    this.queue = new StreamQueue(cfg.flushLimit, cfg.dropLimit, ready, reason => reporter.drop(reason))
    sink.attach(this)
    this.timer = setInterval(() => this.flush(), cfg.flushInterval)
    this.timer.unref()
  }

  log (line: string): boolean {
    return this.queue.push(line)
  }

  flush (): void {
    if (!this.queue.waiting()) return
    this.queue.flushWanted = true
    this.sink.kick()
  }

  flushSoon (): void {
    if (!this.queue.waiting()) return
    this.queue.flushWanted = true
    this.sink.kickSoon()
  }

  stats (): ChannelStats {
    return this.queue.snapshot(this.sink.connected)
  }

  error (err: unknown): void {
    this.reporter.error(err)
  }

  close (timeoutMs = DEFAULT_CLOSE_TIMEOUT): Promise<ChannelStats> {
    if (this.closing === null) this.closing = this.shutdown(timeoutMs)
    return this.closing
  }

  private async shutdown (timeoutMs: number): Promise<ChannelStats> {
    const q = this.queue
    q.closed = true
    clearInterval(this.timer)
    if (q.lines > 0) {
      this.flush()
      let timer: NodeJS.Timeout | undefined
      const expired = new Promise<void>(resolve => { timer = setTimeout(resolve, Math.max(0, timeoutMs)) })
      await Promise.race([q.drained(), expired])
      clearTimeout(timer)
    }
    // The timeout ran out: what is still queued, in flight included, counts as dropped (closed).
    if (q.lines > 0) this.reporter.drop('closed', q.abandon())
    const final = this.stats()
    await this.sink.detach(this)
    this.reporter.flushNow()
    return { ...final, connected: false }
  }
}
