import { performance } from 'node:perf_hooks'
import type { UpstreamInfo } from '../lifecycle/context.js'

/**
 * `request.waf.upstream`, with the high-resolution start kept in a private field, which JSON
 * and object spreads do not see.
 */
export class UpstreamTiming implements UpstreamInfo {
  addr: string
  status = 0
  startedAt: number
  durationMs = 0
  readonly #startedHr = performance.now()

  constructor (addr: string, startedAt: number) {
    this.addr = addr
    this.startedAt = startedAt
  }

  settle (status: number): void {
    this.status = status
    this.durationMs = Math.round((performance.now() - this.#startedHr) * 1000) / 1000
  }
}
