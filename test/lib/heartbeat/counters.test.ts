import t from 'tap'
import { CounterTable, COUNTER_NAMES, counterValues, DomainCounters } from '../../../lib/heartbeat/counters.js'
import type { CountedRequest } from '../../../lib/heartbeat/counters.js'
import { INVALID_DOMAIN, OTHER_DOMAIN } from '../../../lib/heartbeat/domain-key.js'
import { ContextFactory } from '../../../lib/lifecycle/context.js'
import type { IncomingMessage } from 'node:http'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { PerformanceObserver, constants } from 'node:perf_hooks'

function req (over: Partial<CountedRequest>): CountedRequest {
  return { domain: 'a.example', status: 200, bytesIn: 100, bytesOut: 200, upstreamStatus: 0, forwarded: false, attacked: false, bot: false, cc: false, ...over }
}

t.test('each request lands in exactly the counters it should', async t => {
  const table = new CounterTable(10, 1000)
  table.count(req({}))
  table.count(req({ status: 404, bytesIn: 1, bytesOut: 2 }))
  table.count(req({ status: 503 }))
  table.count(req({ status: 499 }))
  table.count(req({ status: 0, bytesOut: 0 })) // the client left: no status sent
  table.count(req({ status: 502, forwarded: true, upstreamStatus: 502 }))
  table.count(req({ status: 404, forwarded: true, upstreamStatus: 404 }))
  table.count(req({ status: 200, forwarded: true, upstreamStatus: 200 }))
  table.count(req({ attacked: true, status: 403 }))
  table.count(req({ attacked: true, outbound: true, status: 403 }))
  table.count(req({ bot: true }))
  table.count(req({ cc: true, status: 429 }))
  table.count(req({ domain: 'b.example', status: 600 /* not a 5xx */ }))
  // Failures of the rate-limit store, counted apart from the request itself.
  table.countRateLimitError('a.example')
  table.countRateLimitError('a.example')
  const s = table.snapshot()
  t.same(counterValues(s.domains.get('a.example') as DomainCounters), {
    ub: 100 * 11 + 1, db: 200 * 10 + 2, ac: 12, '4x': 6, '5x': 2, u4: 1, u5: 1, at: 2, ao: 1, b: 1, cc: 1, acu: 3, rl_err: 2
  })
  t.same(counterValues(s.domains.get('b.example') as DomainCounters), {
    ub: 100, db: 200, ac: 1, '4x': 0, '5x': 0, u4: 0, u5: 0, at: 0, ao: 0, b: 0, cc: 0, acu: 0, rl_err: 0
  })
  t.equal(s.since, 1000)
  t.same(Object.keys(counterValues(new DomainCounters())), COUNTER_NAMES, 'wire order')
})

t.test('countContext reads the request context', async t => {
  const factory = new ContextFactory()
  const ctx = factory.createFor('Shop.Example:8443', undefined)
  ctx.bytesIn = 7
  ctx.bytesOut = 9
  ctx.bot = true
  ctx.cc = true
  ctx.attacks.push({ ruleId: '1', msg: '', detectType: 'sqli', severity: 'critical', tags: [], location: 'ARGS:q', payload: 'x', action: 'deny' })
  ctx.upstream = { addr: '127.0.0.1:1', status: 503, startedAt: 0, durationMs: 1 }
  const table = new CounterTable(10)
  table.countContext(ctx, 502)
  const c = counterValues(table.snapshot().domains.get('shop.example') as DomainCounters)
  t.same(c, { ub: 7, db: 9, ac: 1, '4x': 0, '5x': 1, u4: 0, u5: 1, at: 1, ao: 0, b: 1, cc: 1, acu: 1, rl_err: 0 })
  const outbound = factory.createFor('out.example', undefined)
  outbound.attacks.push({ ruleId: '2', msg: '', detectType: 'sqli', severity: 'critical', tags: [], location: 'RESPONSE_BODY', payload: 'x', action: 'log', phase: 4 })
  table.countContext(outbound, 200)
  t.match(table.snapshot().domains.get('out.example'), { at: 1, ao: 1 }, 'an attack in the response counts as outbound')
  const plain = factory.create({ headers: { host: 'x.example' } } as unknown as IncomingMessage)
  table.countContext(plain, 200)
  t.equal(table.snapshot().domains.get('x.example')?.acu, 0, 'not forwarded without ctx.upstream')
})

t.test('the table is bounded: past maxDomains new names count under _other', async t => {
  const table = new CounterTable(3)
  for (let i = 0; i < 10; i++) table.count(req({ domain: `d${i}.example` }))
  table.count(req({ domain: 'd1.example' })) // admitted before the cap: still its own
  t.equal(table.size, 3)
  const s = table.snapshot()
  t.same([...s.domains.keys()], ['d0.example', 'd1.example', 'd2.example', OTHER_DOMAIN])
  t.equal(s.domains.get(OTHER_DOMAIN)?.ac, 7)
  t.equal(s.overflow, 7)
  t.equal(s.domains.get('d1.example')?.ac, 2)
})

t.test('invalid hosts share _invalid and take no slot; reserved names cannot be reached from a Host', async t => {
  const table = new CounterTable(1)
  table.count(req({ domain: '' }))
  table.count(req({ domain: '_other' }))
  table.count(req({ domain: 'a b' }))
  table.count(req({ domain: 'ok.example' }))
  table.count(req({ domain: '_invalid' }))
  const s = table.snapshot()
  t.equal(s.domains.get(INVALID_DOMAIN)?.ac, 4)
  t.equal(s.domains.get('ok.example')?.ac, 1)
  t.notOk(s.domains.has(OTHER_DOMAIN), 'nothing overflowed')
  t.equal(s.overflow, 0)
})

t.test('drain hands over the interval and starts empty; snapshot is a copy', async t => {
  const table = new CounterTable(2, 1)
  table.count(req({ domain: 'a.example' }))
  table.count(req({ domain: 'b.example' }))
  table.count(req({ domain: 'c.example' }))
  const snap = table.snapshot()
  table.count(req({ domain: 'a.example' }))
  t.equal(snap.domains.get('a.example')?.ac, 1, 'snapshot did not move')
  const first = table.drain(5)
  t.equal(first.domains.get('a.example')?.ac, 2)
  t.equal(first.domains.get(OTHER_DOMAIN)?.ac, 1)
  t.equal(first.overflow, 1)
  t.equal(first.since, 1)
  t.equal(table.size, 0)
  const empty = table.snapshot()
  t.equal(empty.domains.size, 0)
  t.equal(empty.overflow, 0)
  t.equal(empty.since, 5)
  table.count(req({ domain: 'c.example' }))
  t.equal(table.snapshot().domains.get('c.example')?.ac, 1, 'a new interval has room again')
})

t.test('maxDomains is checked', async t => {
  t.throws(() => new CounterTable(0), /maxDomains/)
  t.throws(() => new CounterTable(1.5), /maxDomains/)
})

t.test('counting a known domain allocates nothing', async t => {
  // With no allocation per count, 2M counts fill no young generation, so no scavenge runs. An
  // allocation of even one small object per count (64 MB over the run) forces several.
  const table = new CounterTable(10)
  const r = req({ domain: 'warm.example', status: 404, forwarded: true, upstreamStatus: 502, attacked: true })
  for (let i = 0; i < 1e5; i++) table.count(r)
  v8.setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  const scavenges = await countScavenges(() => {
    for (let i = 0; i < 2e6; i++) table.count(r)
  })
  t.ok(scavenges <= 1, `${scavenges} scavenges over 2M counts`)
  const ctx = new ContextFactory().createFor('warm.example', undefined)
  ctx.upstream = { addr: '127.0.0.1:1', status: 404, startedAt: 0, durationMs: 0 }
  for (let i = 0; i < 1e5; i++) table.countContext(ctx, 404)
  gc()
  const fromContext = await countScavenges(() => {
    for (let i = 0; i < 2e6; i++) table.countContext(ctx, 404)
  })
  t.ok(fromContext <= 1, `${fromContext} scavenges over 2M counts from a context`)
  const control = await countScavenges(() => {
    let keep: unknown
    for (let i = 0; i < 2e6; i++) keep = { i }
    return keep
  })
  t.ok(control >= 2, `the probe sees allocation: ${control} scavenges for 2M small objects`)
})

async function countScavenges (fn: () => unknown): Promise<number> {
  let n = 0
  const obs = new PerformanceObserver(list => {
    for (const e of list.getEntries()) if (((e as unknown as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MINOR) n++
  })
  obs.observe({ entryTypes: ['gc'] })
  fn()
  await new Promise(resolve => setTimeout(resolve, 50))
  obs.disconnect()
  return n
}
