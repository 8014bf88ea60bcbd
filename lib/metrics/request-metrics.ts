import type { WafContext } from '../lifecycle/context.js'
import { INVALID_DOMAIN, METRIC_MAX_DOMAINS, OTHER_DOMAIN, isCountableDomain } from '../heartbeat/domain-key.js'
import { BoundedKeys } from './bounded-keys.js'
import { family } from './families.js'
import type { MetricFamily, MetricSample } from './families.js'
import { LatencyHistogram } from './histogram.js'

/**
 * What the heartbeat counters do not hold, counted per request for Prometheus: responses by
 * domain and status class, rule matches by rule id, and the upstream and rule-check latency
 * histograms. A request costs a map lookup, an increment and two bucket scans (a domain's
 * name is checked once, when it first shows).
 */

/** Distinct rule ids with series of their own; the rest count under `other`. */
export const METRIC_MAX_RULES = 100

/** Upstream response time, seconds: 1 ms to 30 s. */
export const UPSTREAM_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
/** Rule check time, seconds: 10 µs to 100 ms (the CRS at PL1 takes ~0.1 ms on a typical request). */
export const WAF_BUCKETS: readonly number[] = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1]

/** Status classes; index 0 is a request that got no response (the client left first). */
const CLASSES = ['none', '1xx', '2xx', '3xx', '4xx', '5xx'] as const

function classIndex (status: number): number {
  const c = Math.floor(status / 100)
  return c >= 1 && c <= 5 ? c : 0
}

export class RequestMetrics {
  private readonly byDomain = new BoundedKeys(METRIC_MAX_DOMAINS, OTHER_DOMAIN, () => new Float64Array(CLASSES.length),
    { key: INVALID_DOMAIN, test: domain => !isCountableDomain(domain) })
  private readonly byRule = new BoundedKeys(METRIC_MAX_RULES, 'other', () => ({ n: 0 }))
  readonly upstream = new LatencyHistogram(UPSTREAM_BUCKETS)
  readonly waf = new LatencyHistogram(WAF_BUCKETS)

  /** Counts a finished request; `status` is what was sent (0: nothing). */
  record (ctx: WafContext, status: number): void {
    this.byDomain.get(ctx.domain)[classIndex(status)]++
    const up = ctx.upstream
    if (up !== undefined) this.upstream.observe(up.durationMs / 1000)
    if (ctx.enabled.rules) this.waf.observe(ctx.wafMs / 1000)
    const attacks = ctx.attacks
    for (let i = 0; i < attacks.length; i++) this.byRule.get(attacks[i].ruleId).n++
  }

  families (): MetricFamily[] {
    const requests: MetricSample[] = []
    for (const [domain, counts] of this.byDomain.entries()) {
      CLASSES.forEach((cls, i) => {
        if (counts[i] > 0) requests.push({ labels: { domain, class: cls }, value: counts[i] })
      })
    }
    const attacks: MetricSample[] = this.byRule.entries().map(([ruleId, c]) => ({ labels: { rule_id: ruleId }, value: c.n }))
    return [
      family('waf_requests_total', `Requests by domain and status class of the response (none: the client left first); at most ${METRIC_MAX_DOMAINS} domains, then _other.`, 'counter', requests),
      family('waf_attacks_total', `Rule matches by rule id; at most ${METRIC_MAX_RULES} rule ids, then other.`, 'counter', attacks),
      this.upstream.family('waf_upstream_duration_seconds', 'Time from sending a request upstream to its response, for forwarded requests.'),
      this.waf.family('waf_rule_check_duration_seconds', 'Time spent in the rule check, for requests it ran on.')
    ]
  }
}
