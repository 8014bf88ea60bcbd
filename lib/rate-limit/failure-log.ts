import { WarnThrottle } from '../warn-throttle.js'

/** Where the warnings go: pino's `warn(obj, msg)`, as Fastify's logger has it. */
export interface WarnLogger {
  warn(obj: Record<string, unknown>, msg: string): void
}

/**
 * Turns the rate-limit store's failures into warnings: the first failure is reported at once,
 * later ones at most once per `interval` with how many there were and the last error. Nothing is
 * logged per request, so a Redis outage under load writes one line per interval.
 */
export class FailureLog {
  private pending = 0
  private lastError = ''
  private readonly throttle: WarnThrottle

  constructor (private readonly what: string, private readonly logger: WarnLogger, interval: number) {
    this.throttle = new WarnThrottle(interval, () => this.emit())
  }

  failed (err: unknown): void {
    this.pending++
    this.lastError = err instanceof Error ? err.message : String(err)
    this.throttle.poke()
  }

  /** Writes what is pending now (at close). */
  flush (): void {
    this.throttle.flush()
  }

  private emit (): boolean {
    if (this.pending === 0) return false
    this.logger.warn({ failures: this.pending, lastError: this.lastError },
      `${this.what}: ${this.pending} failure(s), requests passed without a limit; last: ${this.lastError}`)
    this.pending = 0
    return true
  }
}
