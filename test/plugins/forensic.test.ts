import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import net from 'node:net'
import { wafSocket } from '../../plugins/socket.js'
import { wafForensic } from '../../plugins/forensic.js'
import type { WafForensicOptions } from '../../plugins/forensic.js'
import { wafServerOptions } from '../../plugins/core.js'
import { wafAccessLog } from '../../plugins/access-log.js'
import { parseForensicLine } from '../../lib/forensic/parse.js'
import type { ForensicStart } from '../../lib/forensic/parse.js'
import { isUniqueId } from '../../lib/lifecycle/unique-id.js'
import { tcpCollector } from '../helpers/collector.js'
import type { Collector } from '../helpers/collector.js'
import { rawRequest, buildRequest } from '../helpers/raw-http.js'

interface Setup {
  app: FastifyInstance
  port: number
  collector: Collector
}

function portOf (app: FastifyInstance): number {
  const addr = app.server.address()
  return typeof addr === 'object' && addr !== null ? addr.port : 0
}

/** An app with the forensic log on a loopback TCP collector; `routes` adds routes before listen. */
async function setup (t: Test, opts: WafForensicOptions = {}, routes?: (app: FastifyInstance) => void | Promise<void>, serverOpts: FastifyServerOptions = {}, flushInterval = 20): Promise<Setup> {
  const collector = await tcpCollector()
  const app = Fastify({ ...wafServerOptions(), ...serverOpts })
  await app.register(wafSocket, { channels: { forensic: { url: collector.url, flushInterval } } })
  await app.register(wafForensic, opts)
  app.get('/', async () => 'ok')
  if (routes !== undefined) await routes(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => {
    await app.close()
    await collector.close()
  })
  return { app, port: portOf(app), collector }
}

function plus (lines: string[]): ForensicStart[] {
  return lines.filter(l => l.startsWith('+')).map(l => parseForensicLine(l) as ForensicStart)
}

async function waitUntil (cond: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) return false
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  return true
}

t.test('options are checked at register time, naming the option', async t => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ channel: '' }, /waf-forensic: option "channel" must be/],
    [{ channel: 'nope' }, /waf-forensic: option "channel" names "nope", which is not a channel of waf-socket/],
    [{ redact: 'authorization' }, /waf-forensic: option "redact" must be an array of header names/],
    [{ redact: ['bad name'] }, /waf-forensic: option "redact"/],
    [{ onWriteFailure: 'explode' }, /waf-forensic: option "onWriteFailure" must be one of 'drop', 'reject', 'exit'/],
    [{ responseHeader: 'x request id' }, /waf-forensic: option "responseHeader" must be a header name/],
    [{ immediate: 'yes' }, /waf-forensic: option "immediate" must be true, 'turn' or false, got "yes"/],
    [{ clientErrors: 1 }, /waf-forensic: option "clientErrors" must be a boolean/],
    [{ include: ['api'] }, /waf-forensic: option "include" must be an array of path prefixes/],
    [{ routes: [{ prefix: '/a', forensik: true }] }, /waf-forensic: option "routes\[0\]\.forensik" is unknown/],
    [{ chanel: 'forensic' }, /waf-forensic: option "chanel" is not an option/]
  ]
  for (const [opts, message] of cases) {
    const app = Fastify()
    await app.register(wafSocket, { channels: { forensic: 'stdout:' } })
    await t.rejects(async () => { await app.register(wafForensic, opts as WafForensicOptions) }, message, JSON.stringify(opts))
    await app.close()
  }
  const bare = Fastify()
  await t.rejects(async () => { await bare.register(wafForensic, {}) }, /register wafSocket before the other waf plugins|waf-socket/)
  await bare.close().catch(() => {})
})

t.test('"+" when the request arrives, "-" when it ends; request.waf.id is the id', async t => {
  let seenId = ''
  const { port, collector } = await setup(t, {}, app => {
    app.get('/p', async request => {
      seenId = request.waf?.id ?? 'no waf context'
      return 'p'
    })
  })
  const r = await rawRequest(port, 'GET /p?q=1&r=a%7Cb HTTP/1.1\r\nHost: Shop.Example:8080\r\nUser-Agent: t/1\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n')
  t.equal(r.status, 200)
  const lines = await collector.waitForLines(2)
  t.ok(isUniqueId(seenId))
  t.same(lines, [`+${seenId}|GET /p?q=1&r=a%257Cb HTTP/1.1|Host:Shop.Example%3a8080|User-Agent:t/1|X-Dup:1, 2`, `-${seenId}`])
})

t.test('the "-" line comes after every other line of the request', async t => {
  const collector = await tcpCollector()
  const app = Fastify({ ...wafServerOptions() })
  // One channel for both logs, so the order on the wire is the order of the writes.
  await app.register(wafSocket, { channels: { log: { url: collector.url, flushInterval: 20 } } })
  await app.register(wafForensic, { channel: 'log' })
  await app.register(wafAccessLog, { channel: 'log' })
  app.get('/', async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await app.close(); await collector.close() })
  await rawRequest(portOf(app), 'GET / HTTP/1.1\r\nHost: h\r\n\r\n')
  await rawRequest(portOf(app), 'GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n')
  await rawRequest(portOf(app), 'GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n')
  const lines = await collector.waitForLines(9)
  const kinds = lines.map(l => l.startsWith('{') ? `access:${(JSON.parse(l) as { id: string }).id}` : `${l[0]}:${l.slice(1, 28)}`)
  const ids = plus(lines).map(e => e.id)
  t.same(kinds, ids.flatMap(id => [`+:${id}`, `access:${id}`, `-:${id}`]))
})

t.test('the "+" line is on the wire before the handler runs (immediate)', async t => {
  let seenBeforeReply = false
  const { port, collector } = await setup(t, {}, app => {
    app.get('/slow', async request => {
      seenBeforeReply = await waitUntil(() => collector.lines().some(l => request.waf !== null && l === `+${request.waf.id}|GET /slow HTTP/1.1|Host:h`), 3000)
      return 'done'
    })
  })
  await rawRequest(port, 'GET /slow HTTP/1.1\r\nHost: h\r\n\r\n')
  t.ok(seenBeforeReply, 'the collector had the "+" line while the handler was still running')
})

t.test("immediate: 'turn' writes the \"+\" lines of a turn together, before the handler's awaits complete", async t => {
  let seenBeforeReply = false
  // The channel's own periodic flush (a call of the same flush()) must not tick during the test:
  // only the plugin's requests for a write are counted.
  const { app, port, collector } = await setup(t, { immediate: 'turn' }, app => {
    app.get('/slow', async request => {
      seenBeforeReply = await waitUntil(() => collector.lines().some(l => request.waf !== null && l === `+${request.waf.id}|GET /slow HTTP/1.1|Host:h`), 3000)
      return 'done'
    })
  }, {}, 600_000)
  const ch = app.wafTransport.channel('forensic')
  const counted = { now: 0, soon: 0 }
  const flush = ch.flush.bind(ch)
  const flushSoon = ch.flushSoon?.bind(ch)
  ch.flush = () => { counted.now++; flush() }
  ch.flushSoon = () => { counted.soon++; flushSoon?.() }
  // Three requests in one packet: parsed, and their "+" lines queued, in one turn.
  const reply = await rawRequest(port, 'GET /slow HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n')
  t.equal(reply.status, 200)
  t.ok(seenBeforeReply, 'the collector had the "+" line while the handler was still running')
  t.same(counted, { now: 0, soon: 3 }, 'each "+" line asks for a write at the end of the turn, never at once')
  t.equal(plus(await collector.waitForLines(3)).length, 3)
})

t.test('immediate: false leaves "+" lines to the channel batching', async t => {
  const collector = await tcpCollector()
  const app = Fastify()
  await app.register(wafSocket, { channels: { forensic: { url: collector.url, flushInterval: 60000, flushLimit: 1 << 20 } } })
  await app.register(wafForensic, { immediate: false })
  let seen = true
  app.get('/', async request => {
    seen = await waitUntil(() => collector.lines().some(l => request.waf !== null && l.startsWith(`+${request.waf.id}`)), 300)
    return 'ok'
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await rawRequest(portOf(app), 'GET / HTTP/1.1\r\nHost: h\r\n\r\n')
  t.notOk(seen, 'nothing sent while the handler ran')
  await app.close()
  t.equal(collector.lines().filter(l => l.startsWith('+')).length, 1, 'the line is delivered on close')
  await collector.close()
})

t.test('Authorization, Proxy-Authorization and Cookie are redacted by default; redact: [] logs as received', async t => {
  const req = 'GET / HTTP/1.1\r\nHost: h\r\nauthorization: Basic dTpw\r\nProxy-Authorization: Bearer x\r\nCookie: s=1\r\n\r\n'
  const def = await setup(t)
  await rawRequest(def.port, req)
  t.same(plus(await def.collector.waitForLines(2))[0].headers, [['Host', 'h'], ['authorization', 'REDACTED'], ['Proxy-Authorization', 'REDACTED'], ['Cookie', 'REDACTED']])
  const none = await setup(t, { redact: [] })
  await rawRequest(none.port, req)
  t.same(plus(await none.collector.waitForLines(2))[0].headers, [['Host', 'h'], ['authorization', 'Basic dTpw'], ['Proxy-Authorization', 'Bearer x'], ['Cookie', 's=1']])
  const cookie = await setup(t, { redact: ['COOKIE'] })
  await rawRequest(cookie.port, req)
  t.same(plus(await cookie.collector.waitForLines(2))[0].headers, [['Host', 'h'], ['authorization', 'Basic dTpw'], ['Proxy-Authorization', 'Bearer x'], ['Cookie', 'REDACTED']])
})

t.test('responseHeader sends the id back, also for requests answered before any hook', async t => {
  const { port, collector } = await setup(t, { responseHeader: 'x-request-id' })
  const ok = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n')
  const bad = await rawRequest(port, 'GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n')
  t.equal(bad.status, 400)
  const ids = [ok, bad].map(r => /\r\nx-request-id: ([A-Za-z0-9_-]{27})\r\n/.exec(r.response)?.[1])
  const lines = await collector.waitForLines(4)
  t.same(plus(lines).map(e => e.id), ids)
  t.same(plus(lines).map(e => e.requestLine), ['GET / HTTP/1.1', 'GET /%zz HTTP/1.1'])
})

t.test('the target is logged as received, before rewriteUrl', async t => {
  const { port, collector } = await setup(t, {}, undefined, { rewriteUrl: req => req.url === '/old' ? '/' : (req.url as string) })
  const r = await rawRequest(port, 'GET /old HTTP/1.1\r\nHost: h\r\n\r\n')
  t.equal(r.status, 200)
  t.equal(plus(await collector.waitForLines(2))[0].requestLine, 'GET /old HTTP/1.1')
})

t.test('include/exclude prefixes and route config switch the log per route', async t => {
  const { port, collector } = await setup(t, { include: ['/api'], exclude: ['/api/health'] }, app => {
    app.get('/api/x', async () => 'x')
    app.get('/api/health', async () => 'ok')
    app.get('/api/off', { config: { waf: false } }, async () => 'off')
    app.get('/api/noforensic', { config: { waf: { forensic: false } } }, async () => 'off')
    app.get('/api/onlyrules', { config: { waf: { rules: false } } }, async () => 'on')
    app.get('/other', async () => 'o')
  })
  for (const p of ['/other', '/api/health', '/api/off', '/api/noforensic', '/api/x', '/api/onlyrules', '/api/missing']) {
    await rawRequest(port, `GET ${p} HTTP/1.1\r\nHost: h\r\n\r\n`)
  }
  const lines = await collector.waitForLines(6)
  await new Promise(resolve => setTimeout(resolve, 100))
  t.same(plus(collector.lines()).map(e => e.requestLine), ['GET /api/x HTTP/1.1', 'GET /api/onlyrules HTTP/1.1', 'GET /api/missing HTTP/1.1'])
  t.equal(lines.length, 6)
})

t.test('registered inside a prefix: that prefix\'s routes are logged, and early requests under it', async t => {
  const collector = await tcpCollector()
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: { forensic: { url: collector.url, flushInterval: 20 } } })
  await app.register(async scoped => {
    await scoped.register(wafForensic)
    scoped.get('/x', async () => 'x')
  }, { prefix: '/api' })
  app.get('/out', async () => 'out')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await app.close(); await collector.close() })
  for (const p of ['/out', '/api/x', '/out/%zz', '/api/%zz', '/api/nothing-here']) {
    await rawRequest(portOf(app), `GET ${p} HTTP/1.1\r\nHost: h\r\n\r\n`)
  }
  await collector.waitForLines(4)
  await new Promise(resolve => setTimeout(resolve, 100))
  // A 404 under the prefix runs the root's hooks, not the scope's (Fastify encapsulation).
  t.same(plus(collector.lines()).map(e => e.requestLine), ['GET /api/x HTTP/1.1', 'GET /api/%zz HTTP/1.1'])
})

t.test('registered at the root and again in a nested scope: one "+" and one "-" per request', async t => {
  const collector = await tcpCollector()
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: { forensic: { url: collector.url, flushInterval: 20 } } })
  await app.register(wafForensic, { exclude: ['/api/quiet'] })
  await app.register(async scoped => {
    await scoped.register(wafForensic)
    scoped.get('/x', async () => 'x')
    scoped.get('/quiet', async () => 'q')
  }, { prefix: '/api' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await app.close(); await collector.close() })
  for (const p of ['/api/x', '/api/%zz', '/api/quiet']) await rawRequest(portOf(app), `GET ${p} HTTP/1.1\r\nHost: h\r\n\r\n`)
  await rawRequest(portOf(app), 'GET /api/x HTTP/1.1\r\nBad Header: 1\r\n\r\n')
  await collector.waitForLines(8)
  await new Promise(resolve => setTimeout(resolve, 100))
  const lines = collector.lines()
  t.same(plus(lines).map(e => e.requestLine), ['GET /api/x HTTP/1.1', 'GET /api/%zz HTTP/1.1', 'GET /api/quiet HTTP/1.1', 'GET /api/x HTTP/1.1'], 'the root excludes /api/quiet; the nested registration logs it')
  t.equal(lines.length, 8)
})

t.test('registering twice with different channels is refused; the same channel is shared', async t => {
  const app = Fastify()
  await app.register(wafSocket, { channels: { forensic: 'stdout:', other: 'stdout:' } })
  await app.register(wafForensic)
  await t.rejects(async () => { await app.register(async s => { await s.register(wafForensic, { channel: 'other' }) }) }, /waf-forensic: option "channel" is "other", but this app's forensic log already writes to "forensic"/)
  await app.close()
  const ok = Fastify()
  await ok.register(wafSocket, { channels: { forensic: 'stdout:' } })
  const scopes: FastifyInstance[] = []
  await ok.register(async s => { await s.register(wafForensic, { include: ['/a'] }); scopes.push(s) })
  await ok.register(async s => { await s.register(wafForensic, { include: ['/b'] }); scopes.push(s) })
  await ok.ready()
  t.same(scopes.map(s => s.wafForensic.channel), ['forensic', 'forensic'])
  t.equal(scopes[0].wafForensic.stats, scopes[0].wafForensic.stats)
  await ok.close()
})

t.test('the forensic stream takes more filters: a second channel, a JSON view', async t => {
  const first = await tcpCollector()
  const second = await tcpCollector()
  const app = Fastify()
  await app.register(wafSocket, { channels: { forensic: { url: first.url, flushInterval: 20 }, copy: { url: second.url, flushInterval: 20 } } })
  await app.register(wafForensic)
  app.wafLog.addFilter('forensic', { name: 'json-copy', channel: 'copy', writer: 'json' })
  app.get('/', async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await app.close(); await first.close(); await second.close() })
  await rawRequest(portOf(app), 'GET / HTTP/1.1\r\nHost: h\r\n\r\n')
  const raw = await first.waitForLines(2)
  const json = (await second.waitForLines(2)).map(l => JSON.parse(l))
  const id = raw[0].slice(1, 28)
  t.same(json, [{ type: 'forensic', id, phase: '+', line: raw[0] }, { type: 'forensic', id, phase: '-', line: raw[1] }])
})

t.test('a body the content-type parser refuses (415) is logged', async t => {
  const { port, collector } = await setup(t, {}, app => { app.post('/in', async () => 'in') })
  const r = await rawRequest(port, buildRequest('POST', '/in', [['Host', 'h'], ['Content-Type', 'application/x-nope'], ['Content-Length', '3']], 'abc'))
  t.equal(r.status, 415)
  const lines = await collector.waitForLines(2)
  t.equal(plus(lines)[0].requestLine, 'POST /in HTTP/1.1')
  t.equal(lines[1], `-${plus(lines)[0].id}`)
})

t.test('requests the HTTP parser refuses are logged from the bytes received; clientErrors: false turns that off', async t => {
  const bad = [
    'GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: h\r\nX-Nul: a\x00b\r\nX-Cr: c\rd\r\n\r\n',
    'G@T /m HTTP/1.1\r\nHost: h\r\n\r\n'
  ]
  const on = await setup(t)
  for (const req of bad) t.equal((await rawRequest(on.port, req)).status, 400)
  const lines = await on.collector.waitForLines(6)
  t.same(plus(lines).map(e => [e.requestLine, e.headers]), [
    ['GET /a\x01b HTTP/1.1', [['Host', 'h']]],
    ['GET / HTTP/1.1', [['Host', 'h'], ['X-Nul', 'a\x00b'], ['X-Cr', 'c\rd']]],
    ['G@T /m HTTP/1.1', [['Host', 'h']]]
  ])
  t.notOk(lines.some(l => /[\r\x00]/.test(l)), 'control bytes are escaped')
  // Pipelined: the good requests are logged as usual, the bad one from its own bytes.
  await rawRequest(on.port, 'GET /?1 HTTP/1.1\r\nHost: h\r\n\r\nGET /?2 HTTP/1.1\r\nHost: h\r\n\r\nGET /?3 HTTP/1.1\r\nHost: h\r\nBad Header: 3\r\n\r\n', { timeoutMs: 2000 })
  await on.collector.waitForLines(12)
  t.same(plus(on.collector.lines()).slice(3).map(e => e.requestLine).sort(), ['GET /?1 HTTP/1.1', 'GET /?2 HTTP/1.1', 'GET /?3 HTTP/1.1'])
  t.equal(lines.filter(l => l.startsWith('-')).length, 3)
  const off = await setup(t, { clientErrors: false })
  for (const req of bad) t.equal((await rawRequest(off.port, req)).status, 400)
  await rawRequest(off.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n')
  await off.collector.waitForLines(2)
  await new Promise(resolve => setTimeout(resolve, 100))
  t.equal(off.collector.lines().length, 2, 'only the good request')
})

t.test('a parser error in the body of a request already logged does not log it twice', async t => {
  const { port, collector } = await setup(t, {}, app => { app.post('/up', async () => 'up') })
  // Node parses the head (the request is logged), then refuses the Transfer-Encoding.
  await rawRequest(port, 'POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nTransfer-Encoding: gzip\r\n\r\nxyz')
  await collector.waitForLines(2)
  await new Promise(resolve => setTimeout(resolve, 150))
  t.same(collector.lines().map(l => l[0]), ['+', '-'])
})

/** Opens a connection, sends `bytes`, and resolves once the app has logged the "+" line. */
async function startThenAbort (port: number, bytes: string, collector: Collector, before: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from(bytes, 'latin1')))
  s.on('error', () => {})
  await waitUntil(() => collector.lines().filter(l => l.startsWith('+')).length > before)
  return s
}

t.test('a client that aborts still gets its "-" line', async t => {
  let release: () => void = () => {}
  const { port, collector } = await setup(t, {}, app => {
    app.get('/hang', () => new Promise<string>(resolve => { release = () => resolve('late') }))
    app.post('/upload', async request => request.body)
    app.get('/stream', (request, reply) => {
      reply.raw.writeHead(200, { 'content-type': 'text/plain' })
      reply.raw.write('first chunk\n')
      reply.hijack()
    })
  })
  // 1. The handler is still working when the client leaves.
  const a = await startThenAbort(port, 'GET /hang HTTP/1.1\r\nHost: h\r\n\r\n', collector, 0)
  a.destroy()
  t.ok(await waitUntil(() => collector.lines().filter(l => l.startsWith('-')).length === 1), 'aborted while the handler waits')
  release()
  // 2. The body never completes.
  const b = await startThenAbort(port, 'POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\npartial', collector, 1)
  b.destroy()
  t.ok(await waitUntil(() => collector.lines().filter(l => l.startsWith('-')).length === 2), 'aborted mid-body')
  // 3. The response is half sent.
  const c = await startThenAbort(port, 'GET /stream HTTP/1.1\r\nHost: h\r\n\r\n', collector, 2)
  await new Promise(resolve => setTimeout(resolve, 50))
  c.destroy()
  t.ok(await waitUntil(() => collector.lines().filter(l => l.startsWith('-')).length === 3), 'aborted mid-response')
  await new Promise(resolve => setTimeout(resolve, 100))
  const ids = plus(collector.lines()).map(e => e.id)
  t.same(collector.lines().filter(l => l.startsWith('-')).map(l => l.slice(1)).sort(), ids.sort(), 'each "+" has exactly one "-"')
})

t.test('HTTP/2: pseudo-headers are not logged as headers', async t => {
  const http2 = await import('node:http2')
  const collector = await tcpCollector()
  const app = Fastify({ http2: true })
  await app.register(wafSocket, { channels: { forensic: { url: collector.url, flushInterval: 20 } } })
  await app.register(wafForensic)
  app.get('/h2', async () => 'h2')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await app.close(); await collector.close() })
  const client = http2.connect(`http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`)
  await new Promise<void>((resolve, reject) => {
    const req = client.request({ ':path': '/h2?x=1', 'x-custom': 'a|b' })
    req.on('response', () => {})
    req.resume()
    req.on('end', () => resolve())
    req.on('error', reject)
    req.end()
  })
  client.close()
  const e = plus(await collector.waitForLines(2))[0]
  t.equal(e.requestLine, 'GET /h2?x=1 HTTP/2.0')
  t.notOk(e.headers.some(([name]) => name.startsWith(':')))
  t.same(e.headers.find(([name]) => name === 'x-custom'), ['x-custom', 'a|b'])
})

t.test('wafForensic.stats() counts lines', async t => {
  const { app, port, collector } = await setup(t)
  await rawRequest(port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n')
  await rawRequest(port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n')
  await collector.waitForLines(4)
  t.same(app.wafForensic.stats(), { plus: 2, minus: 2, failures: 0, rejected: 0 })
})
