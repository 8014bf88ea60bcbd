import t from 'tap'
import { COUNTER_NAMES } from '../../lib/heartbeat/counters.js'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { wafSocket } from '../../plugins/socket.js'
import { wafHeartbeat } from '../../plugins/heartbeat.js'
import type { CounterValues } from '../../plugins/heartbeat.js'
import { carbonMissing, startCarbon } from '../helpers/carbon.js'
import type { Carbon } from '../helpers/carbon.js'
import { buildRequest, rawRequest } from '../helpers/raw-http.js'

const missing = await carbonMissing()

async function app (channel: string, prefix: string): Promise<FastifyInstance> {
  const a = Fastify()
  await a.register(wafSocket, { channels: { heart: { url: channel, flushInterval: 10 } } })
  await a.register(wafHeartbeat, { interval: 60_000, format: 'graphite', graphitePrefix: prefix, workerId: 3 })
  a.get('/ok', async () => 'ok')
  a.get('/missing', async (_req, reply) => reply.code(404).send('no'))
  a.get('/broken', async () => { throw new Error('boom') })
  await a.listen({ host: '127.0.0.1', port: 0 })
  return a
}

/** Sends the requests and returns the counters they must produce, bytes as the client measured. */
async function traffic (a: FastifyInstance): Promise<Record<string, Partial<CounterValues>>> {
  const port = (a.server.address() as { port: number }).port
  const plan: Array<[string, string, number]> = [
    ['shop.example', '/ok', 200], ['shop.example', '/ok', 200], ['shop.example', '/missing', 404],
    ['api.example', '/broken', 500], ['api.example', '/missing', 404], ['api.example', '/missing', 404]
  ]
  const want: Record<string, { ac: number, '4x': number, '5x': number, ub: number, db: number }> = {}
  for (const [host, path, status] of plan) {
    const x = await rawRequest(port, buildRequest('GET', path, [['Host', host], ['Connection', 'close']]))
    const w = want[host] ??= { ac: 0, '4x': 0, '5x': 0, ub: 0, db: 0 }
    w.ac++
    w.ub += x.bytesSent
    w.db += x.bytesReceived
    if (status >= 500) w['5x']++
    else if (status >= 400) w['4x']++
  }
  const deadline = Date.now() + 3000
  while (Object.values(a.wafHeartbeat.snapshot().domains).reduce((n, c) => n + c.ac, 0) < plan.length) {
    if (Date.now() > deadline) throw new Error('requests not counted')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  return want
}

async function readBack (t: Test, carbon: Carbon, prefix: string, ts: number, want: Record<string, Partial<CounterValues>>, only?: string[]): Promise<void> {
  for (const [domain, counters] of Object.entries(want)) {
    const node = domain.replaceAll('.', '_')
    for (const [name, value] of Object.entries(counters)) {
      if (only !== undefined && !only.includes(name)) continue
      t.equal(await carbon.valueAt(`${prefix}.${node}.${name}`, ts), value, `${prefix}.${node}.${name}`)
    }
    if (only === undefined) t.equal(await carbon.valueAt(`${prefix}.${node}.acu`, ts), 0, `${prefix}.${node}.acu is stored as 0`)
  }
  t.equal(await carbon.valueAt(`${prefix}._worker.3.alive`, ts), 1, 'the worker says it is alive')
  t.equal(await carbon.valueAt(`${prefix}._worker.3.domain_num`, ts), Object.keys(want).length)
}

t.test('graphite reports land in a real carbon-cache, over TCP and over UDP, and read back with whisper-fetch', { skip: missing }, async t => {
  const carbon = await startCarbon(t.testdir())
  t.teardown(() => carbon.stop())

  const overTcp = await app(`tcp://127.0.0.1:${carbon.linePort}`, 'waf')
  t.teardown(() => overTcp.close())
  const wantTcp = await traffic(overTcp)
  const sentTcp = overTcp.wafHeartbeat.report()
  t.equal(sentTcp.records, 2 * COUNTER_NAMES.length + 3 + 4, 'one line per counter per domain, plus worker and transport lines')
  t.equal(sentTcp.accepted, sentTcp.records)
  await readBack(t, carbon, 'waf', sentTcp.t, wantTcp)

  const overUdp = await app(`udp://127.0.0.1:${carbon.udpPort}`, 'viaudp')
  t.teardown(() => overUdp.close())
  const wantUdp = await traffic(overUdp)
  const sentUdp = overUdp.wafHeartbeat.report()
  t.equal(sentUdp.accepted, sentUdp.records)
  // Each whisper-fetch is a Python start: the UDP path reads back a few metrics only.
  await readBack(t, carbon, 'viaudp', sentUdp.t, wantUdp, ['ac', 'db'])
})

if (missing !== undefined) t.comment(`skipped: ${missing}`)
