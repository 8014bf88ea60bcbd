import { WarnThrottle } from '../warn-throttle.js'
import type { ChannelStats, TransportLogger } from './types.js'

/**
 * Turns a channel's failures into warnings: at most one per `interval`, carrying what happened
 * since the previous one (errors, drops by reason, the last error). Nothing is logged per line.
 */
export class Reporter {
  private readonly throttle: WarnThrottle
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
    interval: number
  ) {
    this.throttle = new WarnThrottle(interval, () => this.emit())
  }

  error (err: unknown): void {
    this.errors++
    this.lastError = describe(err)
    this.schedule()
  }

  drop (reason: 'overflow' | 'oversize' | 'closed'): void {
    this[reason]++
    this.schedule()
  }

  /** Writes what is pending now (at close), without waiting for the interval. */
  flushNow (): void {
    this.throttle.flush()
  }

  private schedule (): void {
    if (this.logger !== undefined) this.throttle.poke()
  }

  private emit (): boolean {
    if (this.logger === undefined) return false
    if (this.errors === 0 && this.overflow === 0 && this.oversize === 0 && this.closed === 0) return false
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
    return true
  }
}

function describe (err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code
    return code !== undefined && !err.message.includes(code) ? `${code} ${err.message}` : err.message
  }
  return String(err)
}
