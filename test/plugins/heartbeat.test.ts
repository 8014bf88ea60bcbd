import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import replyFrom from '@fastify/reply-from'
import rateLimit from '@fastify/rate-limit'
import { wafSocket } from '../../plugins/socket.js'
import { wafHeartbeat } from '../../plugins/heartbeat.js'
import type { CounterValues, HeartbeatRecord } from '../../plugins/heartbeat.js'
import { wafServerOptions } from '../../plugins/core.js'
import { wafRateLimitHooks, wafUpstream } from '../../plugins/upstream.js'
import { buildRequest, rawRequest, responseComplete } from '../helpers/raw-http.js'
import net from 'node:net'
import { tcpCollector } from '../helpers/collector.js'
import type { Collector } from '../helpers/collector.js'

const fast = { flushInterval: 20, retry: { initialDelay: 20, maxDelay: 200 } }

/** A real upstream on loopback: its status comes from the path. */
async function startUpstream (t: Test): Promise<string> {
  const up = Fastify()
  up.get('/up/:status', async (request, reply) => {
    const status = Number((request.params as { status: string }).status)
    return reply.code(status).send({ upstream: status })
  })
  await up.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => up.close())
  const addr = up.server.address() as { port: number }
  return `http://127.0.0.1:${addr.port}`
}


async function build (t: Test, collector: Collector, upstream: string, heartbeat: Record<string, unknown> = {}, more?: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: { heart: { url: collector.url, ...fast } } })
  await app.register(wafHeartbeat, { interval: 60_000, ...heartbeat })
  await app.register(replyFrom, { base: upstream })
  await app.register(rateLimit, { global: false, ...wafRateLimitHooks() })
  // Stand-ins for the rules plugin: flag attacks and bots from the request.
  app.addHook('onRequest', async request => {
    if (request.waf === null) throw new Error('the heartbeat plugin did not join ' + request.url)
    if (request.url.includes('attack')) {
      request.waf.attacks.push({ ruleId: '100101', msg: 'test', detectType: 'sqli', severity: 'critical', tags: [], location: 'REQUEST_URI', payload: request.url, action: 'log' })
    }
    if (/bot/i.test(request.headers['user-agent'] ?? '')) request.waf.bot = true
  })
  const upstreamHooks = wafUpstream()
  app.get('/ok', async () => ({ ok: true }))
  app.get('/attack', async () => 'seen')
  app.get('/missing', async (_request, reply) => reply.code(404).send({ missing: true }))
  app.get('/broken', async () => { throw new Error('boom') })
  app.get('/up/:status', (request, reply) => { void reply.from(request.url, upstreamHooks) })
  app.get('/limited', { config: { rateLimit: { max: 2, timeWindow: 60_000 } } }, async () => 'within')
  app.post('/echo', async request => request.body)
  app.get('/quiet', { config: { waf: false } }, async () => 'not counted')
  more?.(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return app
}

function port (app: FastifyInstance): number {
  return (app.server.address() as { port: number }).port
}

function zero (): CounterValues {
  return { ub: 0, db: 0, ac: 0, '4x': 0, '5x': 0, u4: 0, u5: 0, at: 0, ao: 0, b: 0, cc: 0, acu: 0, rl_err: 0 }
}

interface Sent {
  host: string
  request: string
  /** Expected status; the counters it implies are derived below. */
  status: number
  upstream?: number
  attack?: boolean
  bot?: boolean
  cc?: boolean
}

async function until (test: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

t.test('mixed real traffic over three domains gives exact counters, bytes as measured at the client', async t => {
  const collector = await tcpCollector()
  t.teardown(() => collector.close())
  const upstream = await startUpstream(t)
  const app = await build(t, collector, upstream)
  const get = (host: string, path: string, extra: Array<[string, string]> = []): string =>
    buildRequest('GET', path, [['Host', host], ['Connection', 'close'], ...extra])
  const plan: Sent[] = [
    { host: 'shop.example', request: get('shop.example', '/ok'), status: 200 },
    { host: 'shop.example', request: get('Shop.Example:8080', '/ok'), status: 200 },
    { host: 'shop.example', request: get('shop.example', '/missing'), status: 404 },
    { host: 'shop.example', request: get('shop.example', '/broken'), status: 500 },
    { host: 'shop.example', request: get('shop.example', '/nowhere'), status: 404 },
    { host: 'shop.example', request: get('shop.example', '/up/200'), status: 200, upstream: 200 },
    { host: 'shop.example', request: get('shop.example', '/up/404'), status: 404, upstream: 404 },
    { host: 'shop.example', request: get('shop.example', '/up/500'), status: 500, upstream: 500 },
    { host: 'api.example', request: get('api.example', '/up/502'), status: 502, upstream: 502 },
    { host: 'api.example', request: get('api.example', '/up/403'), status: 403, upstream: 403 },
    { host: 'api.example', request: get('api.example', '/attack?q=1'), status: 200, attack: true },
    { host: 'api.example', request: get('api.example', '/ok', [['User-Agent', 'Googlebot/2.1']]), status: 200, bot: true },
    { host: 'api.example', request: get('api.example', '/attack', [['User-Agent', 'evilbot']]), status: 200, attack: true, bot: true },
    { host: 'api.example', request: buildRequest('POST', '/echo', [['Host', 'api.example'], ['Connection', 'close'], ['Content-Type', 'application/json'], ['Content-Length', '13']], '{"a":"hello"}'), status: 200 },
    { host: 'blog.example', request: get('blog.example', '/limited'), status: 200 },
    { host: 'blog.example', request: get('blog.example', '/limited'), status: 200 },
    { host: 'blog.example', request: get('blog.example', '/limited'), status: 429, cc: true },
    { host: 'blog.example', request: get('blog.example', '/limited'), status: 429, cc: true },
    // Answered by Fastify before any hook: a malformed URL (through frameworkErrors) …
    { host: 'blog.example', request: get('blog.example', '/%zz'), status: 400 },
    // … and refused by the HTTP parser (through clientErrorHandler).
    { host: 'blog.example', request: 'GET /ok HTTP/1.1\r\nHost: blog.example\r\nBad Header\r\n\r\n', status: 400 },
    // Not counted: the route turns the waf off.
    { host: 'blog.example', request: get('blog.example', '/quiet'), status: -200 }
  ]
  const expected: Record<string, CounterValues> = {}
  for (const p of plan) {
    const x = await rawRequest(port(app), p.request)
    t.equal(x.status, Math.abs(p.status), `${p.request.split('\r\n')[0]} → ${p.status}`)
    if (p.status < 0) continue
    const c = expected[p.host] ??= zero()
    c.ac++
    c.ub += x.bytesSent
    c.db += x.bytesReceived
    if (p.status >= 400 && p.status < 500) c['4x']++
    if (p.status >= 500) c['5x']++
    if (p.upstream !== undefined) {
      c.acu++
      if (p.upstream >= 400 && p.upstream < 500) c.u4++
      if (p.upstream >= 500) c.u5++
    }
    if (p.attack === true) c.at++
    if (p.bot === true) c.b++
    if (p.cc === true) c.cc++
  }
  const total = plan.filter(p => p.status > 0).length
  await until(() => Object.values(app.wafHeartbeat.snapshot().domains).reduce((n, c) => n + c.ac, 0) >= total, `${total} requests counted`)
  const snap = app.wafHeartbeat.snapshot()
  t.same(snap.domains, expected, 'snapshot: exact counters per domain')
  t.equal(snap.overflow, 0)

  const result = app.wafHeartbeat.report()
  t.match(result, { records: 1, accepted: 1 })
  const [line] = await collector.waitForLines(1)
  const rec = JSON.parse(line) as HeartbeatRecord
  t.same(rec.domains, expected, 'the report on the wire carries the same counters')
  t.match(rec, { type: 'heartbeat', wid: 0, domain_num: 3, part: 1, parts: 1, overflow: 0 })
  t.match(rec.e, /^\d+\.\d+\.\d+/)
  t.match(rec.ip, /^\d+\.\d+\.\d+\.\d+$/)
  t.ok(rec.transport !== undefined && 'heart' in rec.transport, 'transport stats in part 1')
  t.same(app.wafHeartbeat.snapshot().domains, {}, 'a report resets the counters')
})

t.test('include / exclude prefixes choose what is counted', async t => {
  const collector = await tcpCollector()
  t.teardown(() => collector.close())
  const upstream = await startUpstream(t)
  const app = await build(t, collector, upstream, { include: ['/up'], exclude: ['/up/404'] })
  for (const path of ['/ok', '/up/200', '/up/404', '/up/201']) {
    await rawRequest(port(app), buildRequest('GET', path, [['Host', 'x.example'], ['Connection', 'close']]))
  }
  await until(() => (app.wafHeartbeat.snapshot().domains['x.example']?.ac ?? 0) >= 2, 'two requests counted')
  await new Promise(resolve => setTimeout(resolve, 50))
  t.match(app.wafHeartbeat.snapshot().domains['x.example'], { ac: 2, acu: 2, u4: 0 })
})

t.test('a client that leaves before the response is counted, with no status', async t => {
  const collector = await tcpCollector()
  t.teardown(() => collector.close())
  const upstream = await startUpstream(t)
  let release: (() => void) | undefined
  const app = await build(t, collector, upstream, {}, app => {
    app.get('/slow', async () => { await new Promise<void>(resolve => { release = resolve }); return 'late' })
  })
  const net = await import('node:net')
  const sock = net.connect(port(app), '127.0.0.1')
  await new Promise(resolve => sock.once('connect', resolve))
  sock.write(buildRequest('GET', '/slow', [['Host', 'gone.example']]))
  await until(() => release !== undefined, 'the handler to start')
  sock.destroy()
  await until(() => (app.wafHeartbeat.snapshot().domains['gone.example']?.ac ?? 0) === 1, 'the aborted request counted')
  release?.()
  t.match(app.wafHeartbeat.snapshot().domains['gone.example'], { ac: 1, '4x': 0, '5x': 0, db: 0 })
})

t.test('hostile Host values are bounded: invalid names share _invalid, the cap sends the rest to _other', async t => {
  const collector = await tcpCollector()
  t.teardown(() => collector.close())
  const upstream = await startUpstream(t)
  const app = await build(t, collector, upstream, { maxDomains: 20 })
  const hosts: string[] = []
  let seed = 42
  const rand = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed }
  for (let i = 0; i < 120; i++) hosts.push(`${rand().toString(36)}.random.example`)
  const hostile = ['a b', 'x'.repeat(300), '_other', '__proto__', 'caf\u00e9', 'a%2fb', '']
  const requests = [
    ...hosts.map(h => buildRequest('GET', '/ok', [['Host', h], ['Connection', 'close']])),
    ...hostile.map(h => buildRequest('GET', '/ok', [['Host', h], ['Connection', 'close']]))
  ]
  let answered = 0
  const deadline = Date.now() + 10_000
  for (let i = 0; i < requests.length && Date.now() < deadline; i += 16) {
    const batch = requests.slice(i, i + 16).map(r => rawRequest(port(app), Buffer.from(r, 'latin1')))
    answered += (await Promise.all(batch)).length
  }
  t.equal(answered, requests.length)
  await until(() => Object.values(app.wafHeartbeat.snapshot().domains).reduce((n, c) => n + c.ac, 0) >= requests.length, 'all counted')
  const snap = app.wafHeartbeat.snapshot()
  const named = Object.keys(snap.domains).filter(k => !k.startsWith('_'))
  t.equal(named.length, 20, 'at most maxDomains names')
  t.equal(snap.domains._other.ac, 100)
  t.equal(snap.overflow, 100)
  t.equal(snap.domains._invalid.ac, hostile.length)
  const [line] = (app.wafHeartbeat.report(), await collector.waitForLines(1))
  const rec = JSON.parse(line) as HeartbeatRecord
  t.equal(rec.overflow, 100)
  t.equal(rec.domain_num, 22)
  t.equal(Object.getPrototypeOf(rec.domains), Object.prototype)
})

t.test('bad options fail at register time, naming the option', async t => {
  const collector = await tcpCollector()
  t.teardown(() => collector.close())
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ channel: 'nope' }, /^waf-heartbeat: option "channel" names "nope", which is not a channel/],
    [{ interval: 5 }, /^waf-heartbeat: option "interval" must be/],
    [{ format: 'xml' }, /^waf-heartbeat: option "format" must be/],
    [{ include: ['nope'] }, /^waf-heartbeat: option "include" must be/]
  ]
  for (const [opts, err] of cases) {
    const app = Fastify()
    await app.register(wafSocket, { channels: { heart: collector.url } })
    app.register(wafHeartbeat, opts)
    await t.rejects(async () => { await app.ready() }, err, JSON.stringify(opts))
    await app.close()
  }
  const bare = Fastify()
  bare.register(wafHeartbeat)
  await t.rejects(async () => { await bare.ready() }, /waf-socket/, 'waf-socket is required')
  await bare.close()
})

t.test('registered in an encapsulated context, it counts that prefix only, early-answered requests included', async t => {
  const collector = await tcpCollector()
  t.teardown(() => collector.close())
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: { heart: { url: collector.url, ...fast } } })
  let scoped: FastifyInstance | undefined
  await app.register(async api => {
    await api.register(wafHeartbeat, { interval: 60_000 })
    api.get('/x', async () => 'api')
    scoped = api
  }, { prefix: '/api' })
  app.get('/x', async () => 'root')
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const send = (path: string): Promise<unknown> => rawRequest(port(app), buildRequest('GET', path, [['Host', 'scoped.example'], ['Connection', 'close']]))
  for (const path of ['/api/x', '/x', '/api/%zz', '/%zz', '/nope']) await send(path)
  const hb = (scoped as FastifyInstance).wafHeartbeat
  await until(() => (hb.snapshot().domains['scoped.example']?.ac ?? 0) >= 2, 'the /api requests counted')
  await new Promise(resolve => setTimeout(resolve, 100))
  t.match(hb.snapshot().domains['scoped.example'], { ac: 2, '4x': 1 }, '/api/x and /api/%zz only')
  t.notOk(app.hasDecorator('wafHeartbeat'), 'the decorator stays in its context')
})

t.test('on a keep-alive connection each request is charged its own bytes, whatever its Host', async t => {
  const collector = await tcpCollector()
  t.teardown(() => collector.close())
  const upstream = await startUpstream(t)
  const app = await build(t, collector, upstream)
  const sock = net.connect(port(app), '127.0.0.1')
  t.teardown(() => sock.destroy())
  await new Promise(resolve => sock.once('connect', resolve))
  const want: Record<string, { ub: number, db: number, ac: number }> = {}
  const plan: Array<[string, string]> = [['k1.example', '/ok'], ['k2.example', '/missing'], ['k1.example', '/up/404'], ['k2.example', '/ok'], ['k1.example', '/broken']]
  for (const [host, path] of plan) {
    const request = Buffer.from(buildRequest('GET', path, [['Host', host], ['User-Agent', 'x'.repeat(host.length * 10)]]), 'latin1')
    const response = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = []
      const timer = setTimeout(() => reject(new Error('no response')), 3000)
      const onData = (d: Buffer): void => {
        chunks.push(d)
        if (responseComplete(Buffer.concat(chunks).toString('latin1'))) {
          clearTimeout(timer)
          sock.off('data', onData)
          resolve(Buffer.concat(chunks))
        }
      }
      sock.on('data', onData)
      sock.write(request)
    })
    const w = want[host] ??= { ub: 0, db: 0, ac: 0 }
    w.ub += request.length
    w.db += response.length
    w.ac++
  }
  await until(() => Object.values(app.wafHeartbeat.snapshot().domains).reduce((n, c) => n + c.ac, 0) >= plan.length, 'all counted')
  const snap = app.wafHeartbeat.snapshot().domains
  for (const [host, w] of Object.entries(want)) t.match(snap[host], w, host)
})
