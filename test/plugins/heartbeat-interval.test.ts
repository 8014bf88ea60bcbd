import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { wafSocket } from '../../plugins/socket.js'
import { wafHeartbeat } from '../../plugins/heartbeat.js'
import type { HeartbeatRecord } from '../../plugins/heartbeat.js'
import { tcpCollector } from '../helpers/collector.js'
import type { Collector } from '../helpers/collector.js'
import { buildRequest, rawRequest } from '../helpers/raw-http.js'

const fast = { flushInterval: 10, retry: { initialDelay: 20, maxDelay: 200 } }

async function build (t: Test, c: Collector, interval: number): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(wafSocket, { channels: { heart: { url: c.url, ...fast } } })
  await app.register(wafHeartbeat, { interval, workerId: 7, ip: '192.0.2.10', edition: 'test-1' })
  app.get('/', async () => 'ok')
  await app.listen({ host: '127.0.0.1', port: 0 })
  return app
}

function records (c: Collector): HeartbeatRecord[] {
  return c.lines().map(l => JSON.parse(l) as HeartbeatRecord)
}

async function hit (app: FastifyInstance, host: string): Promise<void> {
  const port = (app.server.address() as { port: number }).port
  await rawRequest(port, buildRequest('GET', '/', [['Host', host], ['Connection', 'close']]))
}

t.test('with a short interval: idle reports arrive, counts show up once, then reset', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const app = await build(t, c, 100)
  t.teardown(() => app.close())
  await c.waitForLines(2, 3000)
  const idle = records(c)
  for (const r of idle) {
    t.match(r, { type: 'heartbeat', e: 'test-1', ip: '192.0.2.10', wid: 7, domain_num: 0, part: 1, parts: 1 })
    t.same(r.domains, {}, 'idle: no domains, still a report')
    t.ok(r.interval > 0.05 && r.interval < 1, `interval ${r.interval} s`)
  }
  const seen = c.lineCount
  await hit(app, 'a.example')
  await hit(app, 'a.example')
  // Wait for the reports that carry the two requests, then for two more. On a loaded machine the
  // two requests can fall into two reports of 100 ms each: what counts is the last that carries any.
  const deadline = Date.now() + 5000
  const countOf = (r: HeartbeatRecord): number => r.domains['a.example']?.ac ?? 0
  let lastWithTraffic = -1
  let total = 0
  while (Date.now() < deadline) {
    const all = records(c)
    total = 0
    lastWithTraffic = -1
    for (let i = seen; i < all.length; i++) {
      total += countOf(all[i])
      if (all[i].domains['a.example'] !== undefined) lastWithTraffic = i
    }
    if (total === 2 && all.length >= lastWithTraffic + 3) break
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  const all = records(c)
  t.ok(lastWithTraffic !== -1, 'a report carried the requests')
  t.equal(total, 2, 'each request is reported exactly once')
  t.same(all[lastWithTraffic + 1]?.domains, {}, 'the next report starts from zero')
  t.same(all[lastWithTraffic + 2]?.domains, {})
  const times = all.map(r => r.t)
  t.ok(times.every((x, i) => i === 0 || x >= times[i - 1]), 't never goes back')
})

t.test('closing sends a final report before the transport closes, and stops the timer', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const app = await build(t, c, 60_000)
  await hit(app, 'last.example')
  await hit(app, 'last.example')
  await hit(app, 'other.example')
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(c.lineCount, 0, 'nothing reported before the interval')
  await app.close()
  const lines = await c.waitForLines(1, 3000)
  t.equal(lines.length, 1, 'one final report')
  const [final] = records(c)
  t.same(Object.keys(final.domains), ['last.example', 'other.example'])
  t.equal(final.domains['last.example'].ac, 2)
  t.equal(final.domains['other.example'].ac, 1)
  t.ok(final.interval < 60, 'the final report covers only the time since the last one')
  await new Promise(resolve => setTimeout(resolve, 100))
  t.equal(c.lineCount, 1, 'nothing after close')
})

t.test('report() between ticks sends now and the next tick starts from zero', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const app = await build(t, c, 60_000)
  t.teardown(() => app.close())
  await hit(app, 'now.example')
  await new Promise(resolve => setTimeout(resolve, 20))
  t.match(app.wafHeartbeat.report(), { records: 1, accepted: 1 })
  const [r] = (await c.waitForLines(1)).map(l => JSON.parse(l) as HeartbeatRecord)
  t.equal(r.domains['now.example'].ac, 1)
  t.same(app.wafHeartbeat.snapshot().domains, {})
})

t.test('a report is sent when it is made, not at the channel\'s next periodic flush (UDP and TCP)', async t => {
  const { udpCollector } = await import('../helpers/collector.js')
  const u = await udpCollector()
  const c = await tcpCollector()
  t.teardown(async () => { await u.close(); await c.close() })
  for (const [kind, col] of [['udp', u], ['tcp', c]] as const) {
    const app = Fastify()
    // A flush interval far longer than the test: only an explicit flush gets the report out.
    await app.register(wafSocket, { channels: { heart: { url: col.url, flushInterval: 600_000 } } })
    await app.register(wafHeartbeat, { interval: 600_000, workerId: 3, ip: '192.0.2.10' })
    await app.ready()
    const before = col.lines().length
    app.wafHeartbeat.report()
    const deadline = Date.now() + 3000
    while (col.lines().length === before && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
    t.equal(col.lines().length, before + 1, `${kind}: the report arrived before the channel's flush interval`)
    t.equal((JSON.parse(col.lines()[before]) as HeartbeatRecord).wid, 3)
    await app.close()
  }
})
