import type { ChannelStats, TransportLogger } from './types.js'

/**
 * Turns a channel's failures into warnings: at most one per `interval`, carrying what happened
 * since the previous one (errors, drops by reason, the last error). Nothing is logged per line.
 */
export class Reporter {
  private last = 0
  private timer: NodeJS.Timeout | null = null
  private errors = 0
  private overflow = 0
  private oversize = 0
  private closed = 0
  private lastError: string | undefined

  constructor (
    private readonly channel: string,
    private readonly url: string,
    private readonly stats: () => ChannelStats,
    private readonly logger: TransportLogger | undefined,
    private readonly interval: number
  ) {}

  error (err: unknown): void {
    this.errors++
    this.lastError = describe(err)
    this.schedule()
  }

  drop (reason: 'overflow' | 'oversize' | 'closed'): void {
    this[reason]++
    if (this.timer === null) this.schedule()
  }

  /** Writes what is pending now (at close), without waiting for the interval. */
  flushNow (): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.emit()
  }

  private schedule (): void {
    if (this.logger === undefined || this.timer !== null) return
    const wait = this.last + this.interval - Date.now()
    if (wait <= 0) {
      this.emit()
      return
    }
    this.timer = setTimeout(() => {
      this.timer = null
      this.emit()
    }, wait)
    this.timer.unref()
  }

  private emit (): void {
    if (this.logger === undefined) return
    if (this.errors === 0 && this.overflow === 0 && this.oversize === 0 && this.closed === 0) return
    this.last = Date.now()
    const dropped = { overflow: this.overflow, oversize: this.oversize, closed: this.closed }
    const msg = `waf-socket: channel "${this.channel}" (${this.url}): ` +
      [this.errors > 0 ? `${this.errors} error(s), last: ${this.lastError ?? 'unknown'}` : '',
        dropped.overflow + dropped.oversize + dropped.closed > 0 ? `${dropped.overflow + dropped.oversize + dropped.closed} line(s) dropped` : '']
        .filter(s => s.length > 0).join('; ')
    this.logger.warn({ channel: this.channel, url: this.url, errors: this.errors, dropped, lastError: this.lastError, stats: this.stats() }, msg)
    this.errors = 0
    this.overflow = 0
    this.oversize = 0
    this.closed = 0
    this.lastError = undefined
  }
}

function describe (err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code
    return code !== undefined && !err.message.includes(code) ? `${code} ${err.message}` : err.message
  }
  return String(err)
}
