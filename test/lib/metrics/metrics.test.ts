import t from 'tap'
import { spawnSync } from 'node:child_process'
import { BoundedKeys } from '../../../lib/metrics/bounded-keys.js'
import { LatencyHistogram } from '../../../lib/metrics/histogram.js'
import { METRIC_MAX_RULES, RequestMetrics } from '../../../lib/metrics/request-metrics.js'
import { heartbeatFamilies, transportFamilies } from '../../../lib/metrics/sources.js'
import { CounterTable } from '../../../lib/heartbeat/counters.js'
import { CounterTotals } from '../../../lib/heartbeat/totals.js'
import type { WafContext } from '../../../lib/lifecycle/context.js'
import { exposition } from '../../../example-app/prometheus.js'

function ctx (over: Partial<WafContext>): WafContext {
  return {
    id: 'x', startedAt: 0, startedHr: 0, domain: 'shop.example', policy: { mode: 'block', rules: true },
    attacks: [], action: 'pass', bot: false, cc: false, bytesIn: 10, bytesOut: 20, wafMs: 0.05,
    enabled: { forensic: true, rules: true, access: true, attack: true, heartbeat: true },
    ...over
  } as WafContext
}

t.test('LatencyHistogram: cumulative le buckets, sum and count', async t => {
  const h = new LatencyHistogram([0.01, 0.1, 1])
  for (const s of [0.005, 0.01, 0.05, 0.5, 5]) h.observe(s)
  const f = h.family('x_seconds', 'x')
  t.same(f.values.filter(v => v.metricName === 'x_seconds_bucket').map(v => [v.labels.le, v.value]), [[0.01, 2], [0.1, 3], [1, 4], ['+Inf', 5]])
  t.equal(f.values.find(v => v.metricName === 'x_seconds_count')?.value, 5)
  t.equal(f.values.find(v => v.metricName === 'x_seconds_sum')?.value, 0.005 + 0.01 + 0.05 + 0.5 + 5)
  t.throws(() => new LatencyHistogram([1, 1]), RangeError)
})

t.test('BoundedKeys: past max, new keys share the overflow slot', async t => {
  const k = new BoundedKeys(2, 'other', () => ({ n: 0 }))
  for (const key of ['a', 'b', 'c', 'd', 'a']) k.get(key).n++
  t.same(k.entries().map(([key, v]) => [key, v.n]), [['a', 2], ['b', 1], ['other', 2]])
})

t.test('RequestMetrics: status classes per domain, rule ids bounded, histograms', async t => {
  const m = new RequestMetrics()
  m.record(ctx({ upstream: { addr: 'u', status: 200, startedAt: 0, durationMs: 3 } }), 200)
  m.record(ctx({}), 404)
  m.record(ctx({ domain: '<bad host>' }), 0)
  for (let i = 0; i < METRIC_MAX_RULES + 5; i++) {
    m.record(ctx({ attacks: [{ ruleId: String(100000 + i), msg: '', detectType: '', severity: '', tags: [], location: '', payload: '', action: 'deny' }] }), 403)
  }
  m.record(ctx({ enabled: { forensic: true, rules: false, access: true, attack: true, heartbeat: true } }), 200)
  const fams = m.families()
  const requests = fams.find(f => f.name === 'waf_requests_total')
  t.same(requests?.values.find(v => v.labels.domain === 'shop.example' && v.labels.class === '2xx')?.value, 2)
  t.same(requests?.values.find(v => v.labels.domain === 'shop.example' && v.labels.class === '4xx')?.value, 1 + METRIC_MAX_RULES + 5)
  t.same(requests?.values.find(v => v.labels.domain === '_invalid')?.labels.class, 'none', 'a hostile Host counts under _invalid; no response: class none')
  const attacks = fams.find(f => f.name === 'waf_attacks_total')?.values ?? []
  t.equal(attacks.length, METRIC_MAX_RULES + 1, `${METRIC_MAX_RULES} rule ids, then other`)
  t.equal(attacks.find(v => v.labels.rule_id === 'other')?.value, 5)
  t.equal(fams.find(f => f.name === 'waf_upstream_duration_seconds')?.values.find(v => v.metricName?.endsWith('_count') === true)?.value, 1)
  t.equal(fams.find(f => f.name === 'waf_rule_check_duration_seconds')?.values.find(v => v.metricName?.endsWith('_count') === true)?.value, 3 + METRIC_MAX_RULES + 5, 'only requests the rule check ran on')
})

t.test('CounterTotals: every interval summed, the live one added, domains bounded', async t => {
  const table = new CounterTable(100)
  const totals = new CounterTotals(2)
  table.count({ domain: 'a.example', status: 200, bytesIn: 1, bytesOut: 2, upstreamStatus: 200, forwarded: true, attacked: false, bot: false, cc: false })
  totals.add(table.drain())
  table.count({ domain: 'a.example', status: 503, bytesIn: 1, bytesOut: 2, upstreamStatus: 503, forwarded: true, attacked: true, bot: false, cc: false })
  table.count({ domain: 'b.example', status: 200, bytesIn: 1, bytesOut: 2, upstreamStatus: 0, forwarded: false, attacked: false, bot: false, cc: false })
  totals.add(table.drain())
  table.count({ domain: 'c.example', status: 200, bytesIn: 1, bytesOut: 2, upstreamStatus: 0, forwarded: false, attacked: false, bot: false, cc: false })
  const v = totals.values(table.snapshot())
  t.match(v.get('a.example'), { ub: 2, db: 4, ac: 2, '4x': 0, '5x': 1, u4: 0, u5: 1, at: 1, b: 0, cc: 0, acu: 2 }, 'two intervals summed (every counter, those added later too)')
  t.equal(v.get('b.example')?.ac, 1)
  t.equal(v.get('_other')?.ac, 1, 'a third domain counts under _other')
  t.equal(totals.values().get('_other'), undefined, 'the live interval is not kept')
})

t.test('families from heartbeat totals and transport stats make a clean exposition', async t => {
  const totals = new Map([['shop.example', { ub: 1, db: 2, ac: 3, '4x': 0, '5x': 1, u4: 0, u5: 1, at: 0, b: 0, cc: 0, acu: 3, rl_err: 2, zz_new: 7 }]])
  const fams = [
    ...heartbeatFamilies(totals as never),
    ...transportFamilies({ access: { written: 5, sent: 4, queued: 1, dropped: { overflow: 0, oversize: 0, closed: 0 }, bytesSent: 99, reconnects: 1, errors: 2, connected: true } })
  ]
  t.ok(fams.some(f => f.name === 'waf_heartbeat_rate_limit_store_errors_total'), 'rl_err under its name')
  t.ok(fams.some(f => f.name === 'waf_heartbeat_zz_new_total'), 'a counter the heartbeat adds appears without code of its own')
  const text = await exposition([fams, fams])
  t.match(text, /^waf_heartbeat_requests_total\{domain="shop.example"\} 6$/m, 'two workers summed')
  t.match(text, /^waf_transport_lines_dropped_total\{channel="access",reason="overflow"\} 0$/m)
  t.match(text, /^waf_transport_connected\{channel="access"\} 2$/m)
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  if (check.error !== undefined) {
    if (process.env.CI !== undefined) throw check.error
    t.comment('promtool is not installed: exposition not linted')
  } else {
    t.equal(check.status, 0, check.stdout + check.stderr)
  }
})
