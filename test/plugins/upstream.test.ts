import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import replyFrom from '@fastify/reply-from'
import rateLimit from '@fastify/rate-limit'
import net from 'node:net'
import { wafSocket } from '../../plugins/socket.js'
import { wafHeartbeat } from '../../plugins/heartbeat.js'
import { markCc, wafRateLimitHooks, wafUpstream } from '../../plugins/upstream.js'
import type { WafUpstreamOptions } from '../../plugins/upstream.js'
import type { UpstreamInfo, WafContext } from '../../lib/lifecycle/context.js'
import { isUniqueId } from '../../lib/lifecycle/unique-id.js'

interface Seen { id: string | undefined, other: string | undefined }

/** A real upstream that echoes the request ids it got and answers with the status in the path. */
async function startUpstream (t: Test): Promise<{ url: string, seen: Seen[] }> {
  const seen: Seen[] = []
  const up = Fastify()
  up.get('/s/:status', async (request, reply) => {
    seen.push({ id: request.headers['x-request-id'] as string | undefined, other: request.headers['x-waf-id'] as string | undefined })
    const delay = Number((request.query as { delay?: string }).delay ?? 0)
    if (delay > 0) await new Promise(resolve => setTimeout(resolve, delay))
    return reply.code(Number((request.params as { status: string }).status)).send({ from: 'upstream' })
  })
  await up.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => up.close())
  return { url: `http://127.0.0.1:${(up.server.address() as net.AddressInfo).port}`, seen }
}

/** A loopback port nothing listens on. */
async function deadPort (): Promise<number> {
  const s = net.createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>(resolve => s.close(() => resolve()))
  return port
}

interface Captured { ctx: WafContext | undefined, upstream: UpstreamInfo | undefined, json: string }

async function gateway (t: Test, base: string, hooks: WafUpstreamOptions = {}, withWaf = true): Promise<{ app: FastifyInstance, captured: Captured[] }> {
  const app = Fastify()
  const captured: Captured[] = []
  if (withWaf) {
    await app.register(wafSocket, { channels: { heart: 'file:///dev/null' } })
    await app.register(wafHeartbeat, { interval: 60_000 })
  }
  await app.register(replyFrom, { base })
  app.addHook('onResponse', async request => {
    const ctx = (request as { waf?: WafContext }).waf ?? undefined
    captured.push({ ctx, upstream: ctx?.upstream, json: JSON.stringify(ctx?.upstream ?? null) })
  })
  const upstream = wafUpstream(hooks)
  app.get('/s/:status', (request, reply) => { void reply.from(request.url, upstream) })
  app.get('/off/s/:status', { config: { waf: false } }, (request, reply) => { void reply.from(request.url.slice(4), upstream) })
  app.get('/slow/s/:status', (request, reply) => { void reply.from(request.url.slice(5), { ...upstream, timeout: 50 }) })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return { app, captured }
}

function url (app: FastifyInstance, path: string): string {
  return `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}${path}`
}

t.test('forwarding fills request.waf.upstream and sends the waf id upstream', async t => {
  const up = await startUpstream(t)
  const { app, captured } = await gateway(t, up.url)
  const before = Date.now()
  const res = await fetch(url(app, '/s/404?delay=40'), { headers: { 'x-request-id': 'forged-by-client' } })
  t.equal(res.status, 404)
  t.same(await res.json(), { from: 'upstream' })
  const after = Date.now()
  const [c] = captured
  const u = c.upstream as UpstreamInfo
  t.equal(u.addr, new URL(up.url).host)
  t.equal(u.status, 404)
  t.ok(u.startedAt >= before && u.startedAt <= after, 'startedAt is epoch ms of the forward')
  t.ok(u.durationMs >= 39 && u.durationMs < after - before + 1, `durationMs ${u.durationMs} covers the upstream's 40 ms`)
  t.same(Object.keys(JSON.parse(c.json)), ['addr', 'status', 'startedAt', 'durationMs'], 'serializes as the UpstreamInfo fields only')
  t.equal(up.seen[0].id, c.ctx?.id, 'x-request-id upstream is the waf id, the client value replaced')
  t.ok(isUniqueId(up.seen[0].id ?? ''))
  t.match(app.wafHeartbeat.snapshot().domains['127.0.0.1'], { ac: 1, '4x': 1, '5x': 0, u4: 1, u5: 0, acu: 1 }, 'the heartbeat counts the forward')
})

t.test('an unreachable upstream is 502 and a timed-out one 504, as nginx records them', async t => {
  const dead = await deadPort()
  const { app, captured } = await gateway(t, `http://127.0.0.1:${dead}`)
  const refused = await fetch(url(app, '/s/200'))
  t.ok(refused.status >= 500, `client got ${refused.status}`)
  t.match(captured[0].upstream, { addr: `127.0.0.1:${dead}`, status: 502 })
  t.ok((captured[0].upstream?.durationMs ?? -1) >= 0)
  const up = await startUpstream(t)
  const second = await gateway(t, up.url)
  // undici checks its timeouts on a coarse clock (about 1 s), so the upstream must be slower still.
  const slow = await fetch(url(second.app, '/slow/s/200?delay=1800'))
  t.equal(slow.status, 504)
  t.match(second.captured[0].upstream, { status: 504 })
  t.match(second.app.wafHeartbeat.snapshot().domains['127.0.0.1'], { ac: 1, '5x': 1, u5: 1, acu: 1 })
})

t.test('your own hooks run after the bookkeeping; the id header can be renamed or left out', async t => {
  const up = await startUpstream(t)
  const calls: string[] = []
  const { app, captured } = await gateway(t, up.url, {
    requestIdHeader: 'X-Waf-Id',
    rewriteRequestHeaders (request, headers) {
      calls.push(`rewrite:${String(headers['x-waf-id'] === (request as { waf?: WafContext }).waf?.id)}`)
      return { ...headers, 'x-request-id': 'mine' }
    },
    onResponse (request, reply, res) {
      calls.push(`response:${(request as { waf?: WafContext }).waf?.upstream?.status ?? 0}`)
      void reply.header('x-proxied', '1').send(res.stream)
    },
    onError (reply, err) {
      calls.push('error')
      void reply.code(599).send(err.error.message)
    }
  })
  const res = await fetch(url(app, '/s/201'))
  t.equal(res.status, 201)
  t.equal(res.headers.get('x-proxied'), '1')
  t.same(calls, ['rewrite:true', 'response:201'])
  t.same(up.seen[0], { id: 'mine', other: captured[0].ctx?.id })

  const none = await gateway(t, up.url, { requestIdHeader: false })
  await fetch(url(none.app, '/s/200'), { headers: { 'x-request-id': 'client-value' } })
  t.equal(up.seen[1].id, 'client-value', 'with requestIdHeader false the client header passes as it came')
})

t.test('a route without waf plugins still gets its context when waf-socket is there; without waf-socket nothing breaks', async t => {
  const up = await startUpstream(t)
  const { app, captured } = await gateway(t, up.url)
  const res = await fetch(url(app, '/off/s/200'))
  t.equal(res.status, 200)
  t.match(captured[0].upstream, { status: 200 })
  t.equal(app.wafHeartbeat.snapshot().domains['127.0.0.1'], undefined, 'not counted: waf is off on the route')
  const bare = await gateway(t, up.url, {}, false)
  const r2 = await fetch(url(bare.app, '/s/202'))
  t.equal(r2.status, 202)
  t.equal(bare.captured[0].ctx, undefined)
  t.equal(up.seen[1].id, undefined)
})

t.test('@fastify/rate-limit marks CC through wafRateLimitHooks', async t => {
  const app = Fastify()
  await app.register(wafSocket, { channels: { heart: 'file:///dev/null' } })
  await app.register(wafHeartbeat, { interval: 60_000 })
  const keys: string[] = []
  await app.register(rateLimit, { max: 2, timeWindow: 60_000, ...wafRateLimitHooks({ onExceeded: (_req, key) => keys.push(key) }) })
  const flags: boolean[] = []
  app.addHook('onResponse', async request => { if (request.waf !== null) flags.push(request.waf.cc) })
  app.get('/', async () => 'ok')
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await fetch(url(app, '/'))).status)
  t.same(statuses, [200, 200, 429, 429])
  t.same(flags, [false, false, true, true])
  t.same(keys, ['127.0.0.1', '127.0.0.1'])
  t.match(app.wafHeartbeat.snapshot().domains['127.0.0.1'], { ac: 4, cc: 2, '4x': 2 })
})

t.test('markCc outside any waf app is harmless', async t => {
  const app = Fastify()
  let waf: unknown = 'unset'
  app.get('/', async request => { markCc(request); waf = (request as { waf?: unknown }).waf; return 'ok' })
  const res = await app.inject('/')
  t.equal(res.statusCode, 200)
  t.equal(waf, undefined)
})

t.test('bad helper options are named', async t => {
  t.throws(() => wafUpstream({ requestIdHeader: 'bad header' }), /option "requestIdHeader"/)
  t.throws(() => wafUpstream({ requestIdHeader: 3 as unknown as string }), /option "requestIdHeader"/)
  t.throws(() => wafUpstream({ onError: 'x' as unknown as WafUpstreamOptions['onError'] }), /option "onError" must be a function/)
  t.throws(() => wafRateLimitHooks({ onExceeded: 1 as unknown as () => void }), /option "onExceeded" must be a function/)
  t.throws(() => wafUpstream({ onResponce: () => {} } as unknown as WafUpstreamOptions), /wafUpstream: option "onResponce" is not an option; known: requestIdHeader, onResponse, onError, rewriteRequestHeaders/)
  t.throws(() => wafRateLimitHooks({ onExceed: () => {} } as unknown as Parameters<typeof wafRateLimitHooks>[0]), /wafRateLimitHooks: option "onExceed" is not an option; known: onExceeded/)
})
