import { DomainCounters, addCounters, counterValues } from './counters.js'
import type { CounterValues, IntervalCounts } from './counters.js'
import { OTHER_DOMAIN } from './domain-key.js'

/**
 * The heartbeat counters summed over every interval since the worker started, per domain (at most
 * `maxDomains`, then `_other`): what a Prometheus counter needs, while the report sends the
 * interval's. Fed once per report from the drained table, so a request costs nothing more.
 * Every numeric field of DomainCounters is summed, so a counter added there is summed too.
 */
export class CounterTotals {
  private readonly domains = new Map<string, DomainCounters>()

  constructor (readonly maxDomains: number) {}

  add (counts: IntervalCounts): void {
    for (const [domain, c] of counts.domains) addCounters(this.slot(domain), c)
  }

  private slot (domain: string): DomainCounters {
    let t = this.domains.get(domain)
    if (t !== undefined) return t
    if (this.domains.size >= this.maxDomains) domain = OTHER_DOMAIN
    t = this.domains.get(domain)
    if (t === undefined) {
      t = new DomainCounters()
      this.domains.set(domain, t)
    }
    return t
  }

  /** The totals, plus the live interval's counts when given (a copy; nothing changes). */
  values (live?: IntervalCounts): Map<string, CounterValues> {
    const sum = new Map<string, DomainCounters>()
    for (const [d, t] of this.domains) sum.set(d, addCounters(new DomainCounters(), t))
    if (live !== undefined) {
      for (const [d, c] of live.domains) {
        const key = sum.has(d) || sum.size < this.maxDomains ? d : OTHER_DOMAIN
        addCounters(sum.get(key) ?? setNew(sum, key), c)
      }
    }
    const out = new Map<string, CounterValues>()
    for (const [d, c] of sum) out.set(d, counterValues(c))
    return out
  }
}

function setNew (m: Map<string, DomainCounters>, key: string): DomainCounters {
  const c = new DomainCounters()
  m.set(key, c)
  return c
}
