import { WarnThrottle } from '../warn-throttle.js'
import type { ChannelStats, TransportLogger, TransportWarning } from './types.js'
import { processWarning, warningSink } from './warning.js'
import type { WarningSink } from './warning.js'

/** Where a channel's warnings go, and how often: see warningSink. */
export interface WarningEnv {
  logger: TransportLogger | undefined
  onWarning?: WarningSink
  warnInterval: number
}

/**
 * Turns a channel's failures into warnings: at most one per `interval`, carrying what happened
 * since the previous one (errors, drops by reason, the last error). Nothing is logged per line,
 * and nothing is lost in silence: with no logger the warnings are process warnings.
 */
export class Reporter {
  private readonly throttle: WarnThrottle
  private errors = 0
  private overflow = 0
  private oversize = 0
  private closed = 0
  private lastError: string | undefined
  private readonly sink: WarningSink

  constructor (
    private readonly channel: string,
    private readonly url: string,
    private readonly stats: () => ChannelStats,
    env: WarningEnv
  ) {
    this.sink = warningSink(env.onWarning, env.logger)
    this.throttle = new WarnThrottle(env.warnInterval, () => this.emit())
  }

  error (err: unknown): void {
    this.errors++
    this.lastError = describe(err)
    this.schedule()
  }

  drop (reason: 'overflow' | 'oversize' | 'closed', lines = 1): void {
    this[reason] += lines
    this.schedule()
  }

  /** Writes what is pending now (at close), without waiting for the interval. */
  flushNow (): void {
    this.throttle.flush()
  }

  private schedule (): void {
    this.throttle.poke()
  }

  private emit (): boolean {
    if (this.errors === 0 && this.overflow === 0 && this.oversize === 0 && this.closed === 0) return false
    const dropped = { overflow: this.overflow, oversize: this.oversize, closed: this.closed }
    const lost = dropped.overflow + dropped.oversize + dropped.closed
    const msg = `waf-socket: channel "${this.channel}" (${this.url}): ` +
      [this.errors > 0 ? `${this.errors} error(s), last: ${this.lastError ?? 'unknown'}` : '', lost > 0 ? `${lost} line(s) dropped` : '']
        .filter(s => s.length > 0).join('; ')
    const warning: TransportWarning = {
      code: lost > 0 ? 'WAFLOG_DROP' : 'WAFLOG_CHANNEL_ERROR',
      message: msg,
      channel: this.channel,
      url: this.url,
      errors: this.errors,
      dropped,
      lastError: this.lastError,
      stats: this.stats()
    }
    this.errors = 0
    this.overflow = 0
    this.oversize = 0
    this.closed = 0
    this.lastError = undefined
    try {
      this.sink(warning)
    } catch {
      // A channel never throws: a warning its sink refused still reaches the process.
      processWarning(warning)
    }
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
