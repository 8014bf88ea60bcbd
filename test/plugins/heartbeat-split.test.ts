import t from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import http from 'node:http'
import { wafSocket } from '../../plugins/socket.js'
import { wafHeartbeat } from '../../plugins/heartbeat.js'
import type { HeartbeatRecord } from '../../plugins/heartbeat.js'
import { tcpCollector, udpCollector } from '../helpers/collector.js'

const DOMAINS = 500

/** `n` GET requests, each with its own Host, over a few keep-alive connections; bounded in time. */
async function hitDomains (app: FastifyInstance, n: number): Promise<void> {
  const port = (app.server.address() as { port: number }).port
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 })
  const deadline = Date.now() + 15_000
  try {
    for (let i = 0; i < n && Date.now() < deadline; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, n - i) }, async (_, j) => {
        await new Promise<void>((resolve, reject) => {
          const req = http.get({ host: '127.0.0.1', port, path: '/', agent, headers: { host: `d${i + j}.tenant-${(i + j) % 13}.example` } }, res => {
            res.resume()
            res.on('end', resolve)
          })
          req.on('error', reject)
        })
      }))
    }
  } finally {
    agent.destroy()
  }
}

async function waitCounted (app: FastifyInstance, n: number): Promise<void> {
  const deadline = Date.now() + 5000
  while (Object.keys(app.wafHeartbeat.snapshot().domains).length < n) {
    if (Date.now() > deadline) throw new Error('requests not counted in time')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

t.test('500 domains over UDP: one part per datagram, each within maxDatagram, each domain exactly once', async t => {
  const c = await udpCollector()
  t.teardown(() => c.close())
  const app = Fastify()
  // maxPacketBytes is not given: it follows the channel's maxDatagram (1472, newline included).
  await app.register(wafSocket, { channels: { heart: { url: c.url, flushInterval: 10 } } })
  await app.register(wafHeartbeat, { interval: 60_000 })
  app.get('/', async () => 'ok')
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  await hitDomains(app, DOMAINS)
  await waitCounted(app, DOMAINS)
  const sent = app.wafHeartbeat.report()
  t.ok(sent.records > 20, `${sent.records} parts`)
  t.equal(sent.accepted, sent.records, 'the channel took every part')
  await c.waitForLines(sent.records, 5000)
  const grams = c.datagrams()
  t.equal(grams.length, sent.records, 'one datagram per part')
  const seen = new Map<string, number>()
  const partNumbers: number[] = []
  for (const g of grams) {
    t.ok(g.length <= 1472, `datagram of ${g.length} bytes`)
    const text = g.toString('utf8')
    t.equal(text.indexOf('\n'), text.length - 1, 'one line per datagram')
    const rec = JSON.parse(text) as HeartbeatRecord
    t.match(rec, { type: 'heartbeat', parts: sent.records, domain_num: DOMAINS, wid: 0 })
    t.equal(typeof rec.e, 'string')
    t.equal(typeof rec.ip, 'string')
    t.equal(typeof rec.t, 'number')
    t.equal(rec.transport !== undefined, rec.part === 1, `transport stats ride in part 1 only (part ${rec.part})`)
    partNumbers.push(rec.part)
    for (const [d, v] of Object.entries(rec.domains)) {
      seen.set(d, (seen.get(d) ?? 0) + 1)
      t.equal(v.ac, 1)
    }
  }
  t.same(partNumbers.sort((a, b) => a - b), Array.from({ length: sent.records }, (_, i) => i + 1), 'parts 1..N')
  t.equal(seen.size, DOMAINS, 'every domain')
  t.ok([...seen.values()].every(n => n === 1), 'no domain twice')
})

t.test('an explicit maxPacketBytes bounds stream lines too; one larger than a datagram is refused', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const app = Fastify()
  await app.register(wafSocket, { channels: { heart: { url: c.url, flushInterval: 10 } } })
  await app.register(wafHeartbeat, { interval: 60_000, maxPacketBytes: 700 })
  app.get('/', async () => 'ok')
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  await hitDomains(app, 60)
  await waitCounted(app, 60)
  const sent = app.wafHeartbeat.report()
  const lines = await c.waitForLines(sent.records)
  t.ok(lines.length > 5)
  for (const l of lines) t.ok(Buffer.byteLength(l) <= 700, `${Buffer.byteLength(l)} bytes`)
  t.equal(lines.reduce((n, l) => n + Object.keys((JSON.parse(l) as HeartbeatRecord).domains).length, 0), 60)

  const u = await udpCollector()
  t.teardown(() => u.close())
  const bad = Fastify()
  await bad.register(wafSocket, { channels: { heart: { url: u.url, maxDatagram: 1200 } } })
  bad.register(wafHeartbeat, { maxPacketBytes: 1400 })
  await t.rejects(async () => { await bad.ready() }, /option "maxPacketBytes" \(1400\) is larger than channel "heart" can send as one datagram \(1199 bytes\)/)
  await bad.close()
})
