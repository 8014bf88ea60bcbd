import type { WafContext } from '../lifecycle/context.js'
import { INVALID_DOMAIN, OTHER_DOMAIN, isCountableDomain } from './domain-key.js'

/**
 * The counters of one domain over one interval. A class with fixed numeric fields, so every
 * instance shares one shape and counting is a handful of monomorphic increments.
 */
export class DomainCounters {
  /** Bytes received from clients: request line, headers and body. */
  ub = 0
  /** Bytes sent to clients, headers included. */
  db = 0
  /** Requests. */
  ac = 0
  /** Responses sent with a 4xx / 5xx status. */
  x4 = 0
  x5 = 0
  /** Upstream responses with a 4xx / 5xx status. */
  u4 = 0
  u5 = 0
  /** Requests with at least one attack. */
  at = 0
  /** Requests with at least one attack found in the response (phases 3 and 4: outbound). */
  ao = 0
  /** Requests flagged bot / CC. */
  b = 0
  cc = 0
  /** Requests forwarded upstream. */
  acu = 0
  /** Requests the rate-limit store could not count (Redis down or slow): they passed unlimited. */
  rlErr = 0
}

/** DomainCounters' fields: every one a number. */
const COUNTER_FIELDS = Object.keys(new DomainCounters()) as ReadonlyArray<keyof DomainCounters>

/** Adds `c`'s counts into `into` (the graphite lines merge domains, the totals sum intervals). */
export function addCounters (into: DomainCounters, c: DomainCounters): DomainCounters {
  for (const k of COUNTER_FIELDS) into[k] += c[k]
  return into
}

/** The counters as they appear on the wire, in wire order. */
export interface CounterValues {
  ub: number
  db: number
  ac: number
  '4x': number
  '5x': number
  u4: number
  u5: number
  at: number
  ao: number
  b: number
  cc: number
  acu: number
  rl_err: number
}

export type CounterName = keyof CounterValues

/** Wire names in report order. */
export const COUNTER_NAMES: readonly CounterName[] = ['ub', 'db', 'ac', '4x', '5x', 'u4', 'u5', 'at', 'ao', 'b', 'cc', 'acu', 'rl_err']

export function counterValues (c: DomainCounters): CounterValues {
  return { ub: c.ub, db: c.db, ac: c.ac, '4x': c.x4, '5x': c.x5, u4: c.u4, u5: c.u5, at: c.at, ao: c.ao, b: c.b, cc: c.cc, acu: c.acu, rl_err: c.rlErr }
}

/** One request, as the counters see it. */
export interface CountedRequest {
  domain: string
  /** The status sent to the client; 0 when the client left before any response was sent. */
  status: number
  bytesIn: number
  bytesOut: number
  /** The upstream's status, or 0 when the request was not forwarded. */
  upstreamStatus: number
  forwarded: boolean
  attacked: boolean
  /** At least one of the attacks was found in the response. */
  outbound?: boolean
  bot: boolean
  cc: boolean
}

/** What one interval's table held, handed to the report builder when the interval ends. */
export interface IntervalCounts {
  /** Every key with traffic, the reserved `_other` and `_invalid` included. */
  domains: Map<string, DomainCounters>
  /** Requests counted under `_other` because the table was full. */
  overflow: number
  /** Epoch ms when the interval began. */
  since: number
}

/**
 * Per-domain counters with a bounded number of domains. Past `maxDomains` distinct names in one
 * interval, new names count under `_other`; names that are not host names count under
 * `_invalid` (neither takes a slot). Each interval starts from an empty table: a domain costs one
 * allocation the first time it is seen in an interval, and a request costs none.
 */
export class CounterTable {
  /** Real domains only: countable names never start with `_`, so no Host reaches a reserved key. */
  private domains = new Map<string, DomainCounters>()
  private other: DomainCounters | undefined
  private invalid: DomainCounters | undefined
  private overflow = 0
  private since: number

  constructor (readonly maxDomains: number, now: number = Date.now()) {
    if (!Number.isSafeInteger(maxDomains) || maxDomains < 1) throw new RangeError('CounterTable: maxDomains must be a whole number >= 1')
    this.since = now
  }

  /** The counters `domain` counts under this interval. */
  lookup (domain: string): DomainCounters {
    const c = this.domains.get(domain)
    return c !== undefined ? c : this.admit(domain)
  }

  private admit (domain: string): DomainCounters {
    if (!isCountableDomain(domain)) {
      if (this.invalid === undefined) this.invalid = new DomainCounters()
      return this.invalid
    }
    if (this.domains.size >= this.maxDomains) {
      this.overflow++
      if (this.other === undefined) this.other = new DomainCounters()
      return this.other
    }
    const c = new DomainCounters()
    this.domains.set(domain, c)
    return c
  }

  count (r: CountedRequest): void {
    this.add(r.domain, r.status, r.bytesIn, r.bytesOut, r.upstreamStatus, r.forwarded, r.attacked, r.outbound === true, r.bot, r.cc)
  }

  /** Counts a finished request from its context; `status` is what was sent (0: nothing). */
  countContext (ctx: WafContext, status: number): void {
    const up = ctx.upstream
    this.add(ctx.domain, status, ctx.bytesIn, ctx.bytesOut, up === undefined ? 0 : up.status, up !== undefined, ctx.attacks.length > 0, ctx.attacks.length > 0 && hasOutbound(ctx.attacks), ctx.bot, ctx.cc)
  }

  private add (domain: string, status: number, bytesIn: number, bytesOut: number, upstreamStatus: number,
    forwarded: boolean, attacked: boolean, outbound: boolean, bot: boolean, cc: boolean): void {
    let c = this.domains.get(domain)
    if (c === undefined) c = this.admit(domain)
    c.ac++
    c.ub += bytesIn
    c.db += bytesOut
    if (status >= 400) {
      if (status < 500) c.x4++
      else if (status < 600) c.x5++
    }
    if (forwarded) {
      c.acu++
      if (upstreamStatus >= 400) {
        if (upstreamStatus < 500) c.u4++
        else if (upstreamStatus < 600) c.u5++
      }
    }
    if (attacked) c.at++
    if (outbound) c.ao++
    if (bot) c.b++
    if (cc) c.cc++
  }

  /** A request of `domain` that the rate-limit store failed to count (it passed unlimited). */
  countRateLimitError (domain: string): void {
    this.lookup(domain).rlErr++
  }

  /** Distinct real domains counted this interval. */
  get size (): number {
    return this.domains.size
  }

  /** A copy of the live counters. */
  snapshot (): IntervalCounts {
    const copy = new Map<string, DomainCounters>()
    for (const [k, c] of this.domains) copy.set(k, Object.assign(new DomainCounters(), c))
    if (this.other !== undefined) copy.set(OTHER_DOMAIN, Object.assign(new DomainCounters(), this.other))
    if (this.invalid !== undefined) copy.set(INVALID_DOMAIN, Object.assign(new DomainCounters(), this.invalid))
    return { domains: copy, overflow: this.overflow, since: this.since }
  }

  /** Ends the interval: returns its counts and starts an empty table. */
  drain (now: number = Date.now()): IntervalCounts {
    const domains = this.domains
    if (this.other !== undefined) domains.set(OTHER_DOMAIN, this.other)
    if (this.invalid !== undefined) domains.set(INVALID_DOMAIN, this.invalid)
    const out: IntervalCounts = { domains, overflow: this.overflow, since: this.since }
    this.domains = new Map()
    this.other = undefined
    this.invalid = undefined
    this.overflow = 0
    this.since = now
    return out
  }
}

/** Whether an attack was found in the response: an entry of phase 3 (headers) or 4 (body). */
function hasOutbound (attacks: WafContext['attacks']): boolean {
  for (let i = 0; i < attacks.length; i++) {
    const p = attacks[i].phase
    if (p === 3 || p === 4) return true
  }
  return false
}
