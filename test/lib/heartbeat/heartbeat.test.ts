import t from 'tap'
import { COUNTER_NAMES } from '../../../lib/heartbeat/counters.js'
import { once } from 'node:events'
import { Heartbeat } from '../../../lib/heartbeat/heartbeat.js'
import type { HeartbeatEngineOptions, HeartbeatReport } from '../../../lib/heartbeat/heartbeat.js'
import type { HeartbeatRecord } from '../../../lib/heartbeat/report.js'
import type { ChannelStats } from '../../../lib/transport/types.js'
import { EventEmitter } from 'node:events'

const stats: ChannelStats = { written: 3, sent: 2, queued: 1, dropped: { overflow: 0, oversize: 0, closed: 0 }, bytesSent: 10, reconnects: 0, errors: 0, connected: true }

function engine (over: Partial<HeartbeatEngineOptions> = {}): { hb: Heartbeat, out: HeartbeatReport[], events: EventEmitter } {
  const out: HeartbeatReport[] = []
  const events = new EventEmitter()
  const hb = new Heartbeat({
    identity: { e: '0.1.0', ip: '192.0.2.1', node: 'edge-1', wid: 0 },
    intervalMs: 40,
    maxPacketBytes: 65000,
    format: 'json',
    maxDomains: 100,
    graphitePrefix: 'waf',
    write: rec => { out.push(rec); events.emit('rec', rec); return true },
    transportStats: () => ({ heart: stats }),
    ...over
  })
  return { hb, out, events }
}

/**
 * The next record. The engine's timer is unref'd, so a ref'd timeout keeps the test process
 * alive while it waits (and bounds the wait).
 */
async function next (events: EventEmitter): Promise<[HeartbeatRecord]> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error('no report within 3 s')), 3000) })
  try {
    return await Promise.race([once(events, 'rec') as Promise<[HeartbeatRecord]>, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const hit = { status: 200, bytesIn: 10, bytesOut: 20, upstreamStatus: 0, forwarded: false, attacked: false, bot: false, cc: false }

t.test('reports arrive on every tick, even idle, and the counters reset after each', async t => {
  const { hb, events } = engine()
  hb.table.count({ ...hit, domain: 'a.example' })
  hb.table.count({ ...hit, domain: 'a.example' })
  hb.start()
  t.ok(hb.running)
  t.teardown(() => hb.stop())
  const [first] = await next(events)
  t.same(first.domains, { 'a.example': { ub: 20, db: 40, ac: 2, '4x': 0, '5x': 0, u4: 0, u5: 0, at: 0, ao: 0, b: 0, cc: 0, acu: 0, rl_err: 0 } })
  t.same(first.transport, { heart: { sent: 2, dropped: 0, reconnects: 0, queued: 1 } })
  t.match(first, { type: 'heartbeat', e: '0.1.0', ip: '192.0.2.1', node: 'edge-1', wid: 0, domain_num: 1, part: 1, parts: 1 })
  t.ok(first.interval > 0.02 && first.interval < 1, `interval ${first.interval} s`)
  const nowS = Date.now() / 1000
  t.ok(first.t <= nowS && first.t > nowS - 2, 't is epoch seconds')
  const [idle] = await next(events)
  t.same(idle.domains, {}, 'the next tick starts from zero and still reports')
  t.equal(idle.domain_num, 0)
  hb.table.count({ ...hit, domain: 'b.example' })
  const [third] = await next(events)
  t.same(Object.keys(third.domains), ['b.example'])
})

t.test('report() sends now and resets; snapshot() shows live counters without resetting', async t => {
  let clock = 1_000_000
  const { hb, out } = engine({ now: () => clock })
  hb.table.count({ ...hit, domain: 'a.example', status: 503 })
  t.same(hb.snapshot(), { since: 1_000_000, overflow: 0, domains: { 'a.example': { ub: 10, db: 20, ac: 1, '4x': 0, '5x': 1, u4: 0, u5: 0, at: 0, ao: 0, b: 0, cc: 0, acu: 0, rl_err: 0 } } })
  t.equal(hb.snapshot().domains['a.example'].ac, 1, 'snapshot does not reset')
  clock += 2500
  t.same(hb.report(), { t: 1002, records: 1, accepted: 1 })
  t.equal((out[0] as HeartbeatRecord).interval, 2.5, 'the interval is the time the report covers')
  t.same(hb.snapshot(), { since: 1_002_500, overflow: 0, domains: {} })
  t.notOk(hb.running, 'report() does not start the timer')
})

t.test('graphite format writes one raw record per line', async t => {
  const { hb, out } = engine({ format: 'graphite', now: () => 7000 })
  hb.table.count({ ...hit, domain: 'a.example' })
  const r = hb.report()
  t.equal(r.records, COUNTER_NAMES.length + 3 + 4)
  t.equal(out.length, r.records)
  t.same(out[2], { type: 'heartbeat', line: 'waf.a_example.ac 1 7' })
  t.ok(out.every(rec => 'line' in rec && !rec.line.includes('\n')))
})

t.test('split parts all go out, and refused records are counted', async t => {
  let n = 0
  const { hb, out } = engine({ maxPacketBytes: 600, write: rec => { out.push(rec); return n++ % 2 === 0 } })
  for (let i = 0; i < 40; i++) hb.table.count({ ...hit, domain: `d${i}.example` })
  const r = hb.report()
  t.ok(r.records > 3, `${r.records} parts`)
  t.equal(r.accepted, Math.ceil(r.records / 2))
  t.equal(out.length, r.records)
})

t.test('an error while a timed report is written goes to onError and the timer keeps going', async t => {
  const errors: unknown[] = []
  let calls = 0
  const { hb } = engine({
    intervalMs: 20,
    write: () => { calls++; throw new Error('boom') },
    onError: err => errors.push(err)
  })
  hb.start()
  hb.start() // twice is harmless
  t.teardown(() => hb.stop())
  const deadline = Date.now() + 3000
  while (errors.length < 2 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))

  t.ok(errors.length >= 2, 'two ticks failed, both reported')
  t.match(errors[0], { message: 'boom' })
  hb.stop()
  const after = calls
  await new Promise(resolve => setTimeout(resolve, 60))
  t.equal(calls, after, 'stop() stops the timer')
})

t.test('the timer does not keep the process alive', async t => {
  const { hb } = engine({ intervalMs: 60_000 })
  hb.start()
  t.teardown(() => hb.stop())
  const timer = (hb as unknown as { timer: NodeJS.Timeout }).timer
  t.equal(timer.hasRef(), false)
})
