/**
 * At most one warning per `interval`: the first event after a quiet interval is written at once,
 * the ones that follow wait for the interval's end and go out together. `write` returns whether
 * it wrote anything (nothing pending: nothing written, and the interval does not restart).
 */
export class WarnThrottle {
  private last = Number.NEGATIVE_INFINITY
  private timer: NodeJS.Timeout | null = null

  constructor (private readonly interval: number, private readonly write: () => boolean) {}

  /** Something happened: write now, or once the interval since the last warning has passed. */
  poke (): void {
    if (this.timer !== null) return
    const wait = this.last + this.interval - Date.now()
    if (wait <= 0) {
      this.fire()
      return
    }
    this.timer = setTimeout(() => {
      this.timer = null
      this.fire()
    }, wait)
    this.timer.unref()
  }

  /** Writes what is pending now (at close), without waiting for the interval. */
  flush (): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.fire()
  }

  private fire (): void {
    if (this.write()) this.last = Date.now()
  }
}
