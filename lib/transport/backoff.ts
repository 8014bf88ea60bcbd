import type { ResolvedRetry } from './options.js'

/**
 * Reconnect delays: `initialDelay * factor^n` capped at `maxDelay`, each spread by ± `jitter`
 * so that many workers whose collector restarts do not reconnect in step. Never exhausted.
 */
export class Backoff {
  private failures = 0

  constructor (private readonly o: ResolvedRetry, private readonly random: () => number = Math.random) {}

  /** The delay before the next try, counting this failure. */
  next (): number {
    const base = Math.min(this.o.maxDelay, this.o.initialDelay * Math.pow(this.o.factor, this.failures))
    if (base < this.o.maxDelay) this.failures++
    const spread = 1 + this.o.jitter * (2 * this.random() - 1)
    return Math.max(1, Math.round(base * spread))
  }

  /** A connection succeeded: the next failure starts over from `initialDelay`. */
  reset (): void {
    this.failures = 0
  }
}
