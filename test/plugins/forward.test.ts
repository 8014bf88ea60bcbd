import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import replyFrom from '@fastify/reply-from'
import type { FastifyReplyFromHooks } from '@fastify/reply-from'
import net from 'node:net'
import { wafSocket } from '../../plugins/socket.js'
import { wafHeartbeat } from '../../plugins/heartbeat.js'
import { wafUpstream } from '../../plugins/upstream.js'
import { wafForward } from '../../plugins/forward.js'
import type { WafForwardOptions } from '../../plugins/forward.js'
import { Forwarder } from '../../lib/proxy/forwarder.js'
import { dropRequestHopByHop, dropResponseHopByHop } from '../../lib/proxy/hop-by-hop.js'
import type { UpstreamInfo, WafContext } from '../../lib/lifecycle/context.js'
import { isUniqueId } from '../../lib/lifecycle/unique-id.js'

/**
 * wafForward against the real peer it replaces: every exchange goes through a reply-from +
 * wafUpstream gateway and a Forwarder + wafForward one, in front of the same upstream, and what
 * the upstream receives, what the client gets and what `request.waf.upstream` records must agree.
 */

interface Seen { method: string, url: string, headers: Record<string, string | string[] | undefined>, body: string }

async function startUpstream (t: Test): Promise<{ url: string, seen: Seen[] }> {
  const seen: Seen[] = []
  const up = Fastify()
  up.removeAllContentTypeParsers()
  up.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => { done(null, body) })
  up.all('/s/:status', async (request, reply) => {
    seen.push({ method: request.method, url: request.url, headers: { ...request.headers }, body: String(request.body ?? '') })
    const delay = Number((request.query as { delay?: string }).delay ?? 0)
    if (delay > 0) await new Promise(resolve => setTimeout(resolve, delay))
    return reply.code(Number((request.params as { status: string }).status))
      .header('connection', 'x-hop').header('x-hop', '1').header('set-cookie', ['a=1', 'b=2']).send({ from: 'upstream' })
  })
  await up.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => up.close())
  return { url: `http://127.0.0.1:${(up.server.address() as net.AddressInfo).port}`, seen }
}

type Kind = 'reply-from' | 'wafForward'
interface Gateway { app: FastifyInstance, upstreams: Array<UpstreamInfo | undefined>, ids: string[], base: string }

/** The same gateway either way: waf-socket + heartbeat, bodies kept as bytes, one route. */
async function gateway (t: Test, kind: Kind, base: string, opts: WafForwardOptions & { headersTimeout?: number } = {}): Promise<Gateway> {
  const app = Fastify()
  const upstreams: Array<UpstreamInfo | undefined> = []
  const ids: string[] = []
  await app.register(wafSocket, { channels: { heart: 'file:///dev/null' } })
  await app.register(wafHeartbeat, { interval: 60_000 })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => { done(null, body) })
  app.addHook('onResponse', async request => {
    const ctx = (request as { waf?: WafContext }).waf ?? undefined
    upstreams.push(ctx?.upstream === undefined ? undefined : JSON.parse(JSON.stringify(ctx.upstream)) as UpstreamInfo)
    if (ctx != null) ids.push(ctx.id)
  })
  const answer = (reply: FastifyReply, status: number): void => { void reply.code(status).send({ failed: status }) }
  if (kind === 'reply-from') {
    // No retries, as the gateway had it (a 503 or a failure goes back as it is).
    await app.register(replyFrom, { base, retryMethods: [], undici: { headersTimeout: opts.headersTimeout } })
    const hooks = wafUpstream({
      requestIdHeader: opts.requestIdHeader,
      onError: (reply, err) => { answer(reply as FastifyReply, (err.error as Error & { statusCode?: number }).statusCode === 504 ? 504 : 502) }
    })
    // As the gateway wired reply-from: hop-by-hop fields dropped both ways. reply-from re-encodes
    // application/json and strips Content-Type parameters: the exchanges send neither.
    const wired: FastifyReplyFromHooks = {
      ...hooks,
      rewriteRequestHeaders: (request, headers) => hooks.rewriteRequestHeaders(request, dropRequestHopByHop(headers)),
      rewriteHeaders: headers => dropResponseHopByHop(headers)
    }
    app.all('/s/:status', (request, reply) => reply.from(request.url, wired))
  } else {
    const forwarder = new Forwarder(base, { connections: 4, pipelining: 1, keepAliveTimeout: 10_000, headersTimeout: opts.headersTimeout })
    app.addHook('onClose', async () => { await forwarder.close() })
    const forward = wafForward(forwarder, { requestIdHeader: opts.requestIdHeader, onError: opts.onError ?? ((reply, status) => { answer(reply, status) }) })
    app.all('/s/:status', (request: FastifyRequest, reply) => forward(request, reply, request.url))
  }
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return { app, upstreams, ids, base: `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}` }
}

interface Got { status: number, headers: Record<string, string>, body: string }

async function send (gw: Gateway, path: string, init: RequestInit = {}): Promise<Got> {
  const res = await fetch(gw.base + path, init)
  const headers: Record<string, string> = {}
  res.headers.forEach((v, k) => { if (k !== 'date' && k !== 'keep-alive') headers[k] = v })
  return { status: res.status, headers, body: await res.text() }
}

/** What the upstream saw, without what differs by nature: the request ids (checked apart). */
function comparable (s: Seen): Seen {
  const { 'x-request-id': _id, ...headers } = s.headers
  return { ...s, headers }
}

const EXCHANGES: Array<[string, string, () => RequestInit]> = [
  // (fetch sends no Connection of its own choosing: hop-by-hop requests are test/e2e/hostile-clients.test.ts's, over raw sockets.)
  ['GET with a forged id', '/s/404?q=1&q=2', () => ({ headers: { 'x-request-id': 'forged', 'x-keep': 'k' } })],
  ['POST with a body', '/s/201', () => ({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'a=1&b=2' })],
  ['PUT with a chunked body', '/s/200', () => ({ method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: new ReadableStream({ start (c) { c.enqueue(new TextEncoder().encode('chunk')); c.close() } }), duplex: 'half' } as RequestInit)],
  ['DELETE', '/s/204', () => ({ method: 'DELETE' })],
  ['HEAD', '/s/200', () => ({ method: 'HEAD' })],
  ['a slow 503', '/s/503?delay=30', () => ({})]
]

t.test('the upstream receives the same requests and the client the same answers as through reply-from', async t => {
  const up = await startUpstream(t)
  const a = await gateway(t, 'reply-from', up.url)
  const b = await gateway(t, 'wafForward', up.url)
  for (const [name, path, init] of EXCHANGES) {
    const before = up.seen.length
    const ga = await send(a, path, init())
    const gb = await send(b, path, init())
    t.same(gb, ga, `${name}: the client's answer`)
    t.equal(up.seen.length, before + 2, `${name}: one request upstream each`)
    t.same(comparable(up.seen[before + 1]), comparable(up.seen[before]), `${name}: what the upstream received`)
    t.equal(up.seen[before + 1].headers['x-request-id'], b.ids.at(-1), `${name}: the waf id went upstream, not the client's`)
    t.ok(isUniqueId(String(up.seen[before + 1].headers['x-request-id'])))
  }
  t.equal(up.seen[1].headers['x-keep'], 'k')
  t.equal(up.seen[1].headers.host, new URL(up.url).host)
  for (let i = 0; i < EXCHANGES.length; i++) {
    const [ua, ub] = [a.upstreams[i] as UpstreamInfo, b.upstreams[i] as UpstreamInfo]
    t.same(Object.keys(ub), ['addr', 'status', 'startedAt', 'durationMs'], 'request.waf.upstream has the UpstreamInfo fields, in order')
    t.same([ub.addr, ub.status], [ua.addr, ua.status], `${EXCHANGES[i][0]}: addr and status as recorded through reply-from`)
  }
  const slow = b.upstreams[EXCHANGES.length - 1] as UpstreamInfo
  t.ok(slow.durationMs >= 29, `durationMs ${slow.durationMs} covers the upstream's 30 ms`)
  t.same(b.app.wafHeartbeat.snapshot().domains['127.0.0.1'], a.app.wafHeartbeat.snapshot().domains['127.0.0.1'], 'the heartbeat counts alike')
})

t.test('an unreachable upstream is 502 and a timed-out one 504, through either', async t => {
  const s = net.createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const dead = `http://127.0.0.1:${(s.address() as net.AddressInfo).port}`
  await new Promise<void>(resolve => s.close(() => resolve()))
  const up = await startUpstream(t)
  for (const [base, path, status] of [[dead, '/s/200', 502], [up.url, '/s/200?delay=1800', 504]] as const) {
    const a = await gateway(t, 'reply-from', base, { headersTimeout: 300 })
    const b = await gateway(t, 'wafForward', base, { headersTimeout: 300 })
    const [ga, gb] = [await send(a, path), await send(b, path)]
    t.same(gb, ga, `${status}: the same answer`)
    t.equal(gb.status, status)
    t.match(b.upstreams[0], { addr: new URL(base).host, status })
    t.same(b.app.wafHeartbeat.snapshot().domains['127.0.0.1'], a.app.wafHeartbeat.snapshot().domains['127.0.0.1'])
  }
})

t.test('requestIdHeader renames or leaves out the id; onError answers failures; bad options are refused', async t => {
  const up = await startUpstream(t)
  const named = await gateway(t, 'wafForward', up.url, { requestIdHeader: 'X-Waf-Id' })
  await send(named, '/s/200', { headers: { 'x-request-id': 'client-value' } })
  t.same([up.seen[0].headers['x-waf-id'], up.seen[0].headers['x-request-id']], [named.ids[0], 'client-value'])
  const none = await gateway(t, 'wafForward', up.url, { requestIdHeader: false })
  await send(none, '/s/200', { headers: { 'x-request-id': 'client-value' } })
  t.equal(up.seen[1].headers['x-request-id'], 'client-value', 'with requestIdHeader false the client header passes as it came')
  const s = net.createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const dead = `http://127.0.0.1:${(s.address() as net.AddressInfo).port}`
  await new Promise<void>(resolve => s.close(() => resolve()))
  const own = await gateway(t, 'wafForward', dead, { onError (reply, status) { void reply.code(599).send(`own ${status}`) } })
  t.match(await send(own, '/s/200'), { status: 599, body: 'own 502' })
  const f = new Forwarder(dead, { connections: 1, pipelining: 1, keepAliveTimeout: 1000 })
  t.teardown(async () => { await f.close() })
  t.throws(() => wafForward({} as Forwarder), /first argument must be a Forwarder/)
  t.throws(() => wafForward(f, { requestIdHeader: 'bad header' }), /wafForward: option "requestIdHeader"/)
  t.throws(() => wafForward(f, { onError: 1 as unknown as WafForwardOptions['onError'] }), /option "onError" must be a function/)
  // Not a registered plugin: no option passes unchecked, Fastify's register options included.
  t.throws(() => wafForward(f, { requestIDHeader: 'x-id' } as unknown as WafForwardOptions), /^wafForward: option "requestIDHeader" is not an option; known: requestIdHeader, rewriteRequestHeaders, onError, wholeBodies$/)
  t.throws(() => wafForward(f, { prefix: '/x' } as unknown as WafForwardOptions), /wafForward: option "prefix" is not an option/)
  t.throws(() => wafForward(f, 'x' as unknown as WafForwardOptions), /wafForward: options must be an object/)
})
