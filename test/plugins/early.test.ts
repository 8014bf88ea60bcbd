import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import http from 'node:http'
import net from 'node:net'
import { wafSocket } from '../../plugins/socket.js'
import { coreOf, wafServerOptions } from '../../plugins/core.js'
import type { WafParticipant } from '../../plugins/core.js'
import type { ClientErrorInfo } from '../../lib/lifecycle/participant.js'
import { rawRequest, responseComplete } from '../helpers/raw-http.js'

/**
 * The early-request path of the core: `wafServerOptions()` routes the requests Fastify answers
 * before any hook (a bad URL, a too-long parameter, HTTP parser errors, request timeouts) through
 * the participants. A recording participant shows what each plugin sees.
 */

interface Seen {
  events: string[]
  errors: ClientErrorInfo[]
  handled: number
}

function recorder (seen: Seen, opts: { reply?: boolean } = {}): WafParticipant {
  return {
    key: 'access',
    order: 20,
    enabled: () => true,
    arrive (request, reply, ctx, early) {
      seen.events.push(`arrive ${request.raw.method as string} ${request.raw.url as string}${early ? ' early' : ''}`)
      if (opts.reply === true && !early) {
        void reply.code(403).send('denied by participant')
        return true
      }
      return false
    },
    depart (request, reply) {
      seen.events.push(`depart ${request.raw.url as string} ${reply.statusCode}`)
    },
    clientErrorArrive (info) {
      seen.events.push(`clientErrorArrive ${info.status}`)
    },
    clientError (info) {
      seen.events.push(`clientError ${info.status} ${info.code}`)
      seen.errors.push(info)
    }
  }
}

async function build (t: Test, opts: { reply?: boolean, prefix?: string, server?: FastifyServerOptions } = {}): Promise<{ app: FastifyInstance, port: number, seen: Seen }> {
  const seen: Seen = { events: [], errors: [], handled: 0 }
  const app = Fastify({ ...wafServerOptions(), ...opts.server })
  await app.register(wafSocket, { channels: { log: 'stdout:' } })
  const addParticipant = async (scope: FastifyInstance): Promise<void> => {
    scope.addHook('onRequest', coreOf(scope).onRequestHook(recorder(seen, opts), scope))
    scope.get('/ok', async () => { seen.handled++; return 'ok' })
    scope.get('/p/:id', async () => { seen.handled++; return 'p' })
    scope.post('/up', async () => { seen.handled++; return 'up' })
  }
  if (opts.prefix !== undefined) await app.register(addParticipant, { prefix: opts.prefix })
  else await addParticipant(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const addr = app.server.address()
  return { app, port: typeof addr === 'object' && addr !== null ? addr.port : 0, seen }
}

async function settle (seen: Seen, n: number): Promise<void> {
  const until = Date.now() + 3000
  while (seen.events.length < n && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 10))
}

t.test('a malformed URL: 400 from frameworkErrors, seen as an early arrival, then a departure', async t => {
  const { port, seen } = await build(t)
  const r = await rawRequest(port, 'GET /ok/%zz HTTP/1.1\r\nHost: h\r\n\r\n')
  t.equal(r.status, 400)
  t.match(r.response, /\r\n\r\n\{"error":"Bad Request","message":"'\/ok\/%zz' is not a valid url component","statusCode":400\}$/)
  await settle(seen, 2)
  t.same(seen.events, ['arrive GET /ok/%zz early', 'depart /ok/%zz 400'])
  t.equal(seen.handled, 0)
})

t.test('a too-long parameter: 414 from frameworkErrors', async t => {
  const { port, seen } = await build(t, { server: { maxParamLength: 10 } })
  const r = await rawRequest(port, `GET /p/${'x'.repeat(50)} HTTP/1.1\r\nHost: h\r\n\r\n`)
  t.equal(r.status, 414)
  t.match(r.response, /"error":"URI Too Long"/)
  await settle(seen, 2)
  t.same(seen.events, [`arrive GET /p/${'x'.repeat(50)} early`, `depart /p/${'x'.repeat(50)} 414`])
})

t.test('an HTTP parser error: 400 with Connection: close, clientErrorArrive then clientError', async t => {
  const { port, seen } = await build(t)
  const r = await rawRequest(port, 'GET /ok HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n')
  t.equal(r.status, 400)
  t.match(r.response, /^HTTP\/1\.1 400 Bad Request\r\nContent-Length: 65\r\nContent-Type: application\/json\r\nConnection: close\r\n\r\n\{"error":"Bad Request","message":"Client Error","statusCode":400\}$/)
  await settle(seen, 2)
  t.same(seen.events, ['clientErrorArrive 400', 'clientError 400 HPE_INVALID_HEADER_TOKEN'])
  const info = seen.errors[0]
  t.equal(info.requestLine, 'GET /ok HTTP/1.1')
  t.equal(info.remoteAddress, '127.0.0.1')
  t.equal(info.ctx.domain, 'h')
  t.equal(info.rawPacket?.toString('latin1').startsWith('GET /ok HTTP/1.1\r\n'), true)
})

t.test('headers too large: 431', async t => {
  const { port, seen } = await build(t)
  const r = await rawRequest(port, `GET /ok HTTP/1.1\r\nHost: h\r\nX-Big: ${'b'.repeat(20000)}\r\n\r\n`)
  t.equal(r.status, 431)
  t.match(r.response, /"message":"Exceeded maximum allowed HTTP header size"/)
  await settle(seen, 2)
  t.match(seen.events, ['clientErrorArrive 431', 'clientError 431 HPE_HEADER_OVERFLOW'])
})

t.test('a request that never completes its head: 408 once requestTimeout passes', async t => {
  const { port, seen } = await build(t, {
    server: {
      requestTimeout: 200,
      serverFactory: handler => {
        const server = http.createServer({ connectionsCheckingInterval: 50, requestTimeout: 200 }, handler)
        return server
      }
    }
  })
  const got = await new Promise<string>(resolve => {
    let data = ''
    const s = net.connect(port, '127.0.0.1', () => s.write('GET /ok HTTP/1.1\r\nHost: h\r\nX-Slow'))
    s.on('data', d => { data += d.toString('latin1') })
    s.on('close', () => resolve(data))
    s.on('error', () => {})
    setTimeout(() => s.destroy(), 3000)
  })
  t.match(got, /^HTTP\/1\.1 408 Request Timeout\r\n/)
  t.match(got, /"message":"Client Timeout","statusCode":408/)
  await settle(seen, 2)
  t.same(seen.events, ['clientErrorArrive 408', 'clientError 408 ERR_HTTP_REQUEST_TIMEOUT'])
})

t.test('a parser error in the body of a request in flight is left to that request', async t => {
  const { port, seen } = await build(t)
  await rawRequest(port, 'POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nTransfer-Encoding: gzip\r\n\r\nxyz')
  await settle(seen, 2)
  await new Promise(resolve => setTimeout(resolve, 100))
  t.equal(seen.events.filter(e => e.startsWith('clientError')).length, 0)
  t.same(seen.events.filter(e => e.startsWith('arrive')), ['arrive POST /up'])
  t.equal(seen.events.filter(e => e.startsWith('depart')).length, 1)
  // The socket's in-flight count went back to zero: a later parser error on a new request is logged.
  await rawRequest(port, 'GET /ok HTTP/1.1\r\nBad Header: x\r\n\r\n')
  await settle(seen, 4)
  t.same(seen.events.slice(-2), ['clientErrorArrive 400', 'clientError 400 HPE_INVALID_HEADER_TOKEN'])
})

/** One connection; each request is sent once the previous response has fully arrived. */
async function sequential (port: number, requests: string[]): Promise<string[]> {
  const s = net.connect(port, '127.0.0.1')
  s.on('error', () => {})
  await new Promise(resolve => s.once('connect', resolve))
  const out: string[] = []
  let buf = ''
  let wake: () => void = () => {}
  s.on('data', d => { buf += d.toString('latin1'); wake() })
  s.on('close', () => wake())
  for (const req of requests) {
    buf = ''
    s.write(Buffer.from(req, 'latin1'))
    const until = Date.now() + 3000
    while (!responseComplete(buf) && !s.destroyed && Date.now() < until) await new Promise<void>(resolve => { wake = resolve; setTimeout(resolve, 50) })
    out.push(buf)
  }
  s.destroy()
  return out
}

t.test('keep-alive: requests on one connection depart one by one, and a later parser error is still logged', async t => {
  const { port, seen } = await build(t)
  const replies = await sequential(port, ['GET /ok HTTP/1.1\r\nHost: h\r\n\r\n', 'GET /ok HTTP/1.1\r\nHost: h\r\n\r\n', 'GET /ok HTTP/1.1\r\nBad Header: 1\r\n\r\n'])
  t.same(replies.map(r => r.slice(0, 12)), ['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 400'])
  await settle(seen, 6)
  t.same(seen.events, ['arrive GET /ok', 'depart /ok 200', 'arrive GET /ok', 'depart /ok 200', 'clientErrorArrive 400', 'clientError 400 HPE_INVALID_HEADER_TOKEN'])
})

t.test('pipelined requests before a parser error: each departs once, and the bad one is logged', async t => {
  const { port, seen } = await build(t)
  await rawRequest(port, 'GET /ok HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\nBad Header: 1\r\n\r\n', { timeoutMs: 2000 })
  await settle(seen, 6)
  await new Promise(resolve => setTimeout(resolve, 100))
  const arrivals = seen.events.filter(e => e.startsWith('arrive')).length
  t.equal(arrivals, 2)
  t.equal(seen.events.filter(e => e.startsWith('depart')).length, arrivals, 'one departure per arrival')
  t.same(seen.events.filter(e => e.startsWith('clientError')), ['clientErrorArrive 400', 'clientError 400 HPE_INVALID_HEADER_TOKEN'])
})

t.test('a participant that answers in arrive stops the request, even with an async onSend hook', async t => {
  const { app, port, seen } = await build(t, { reply: true })
  void app
  const r = await rawRequest(port, 'GET /ok HTTP/1.1\r\nHost: h\r\n\r\n')
  t.equal(r.status, 403)
  t.match(r.response, /denied by participant$/)
  t.equal(seen.handled, 0, 'the handler did not run')
  await settle(seen, 2)
  t.same(seen.events, ['arrive GET /ok', 'depart /ok 403'])
})

t.test('an async onSend hook does not let the handler run after a participant answered', async t => {
  const seen: Seen = { events: [], errors: [], handled: 0 }
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: { log: 'stdout:' } })
  app.addHook('onSend', async (request, reply, payload) => {
    await new Promise(resolve => setTimeout(resolve, 10))
    return payload
  })
  app.addHook('onRequest', coreOf(app).onRequestHook(recorder(seen, { reply: true }), app))
  app.get('/ok', async () => { seen.handled++; return 'ok' })
  t.teardown(() => app.close())
  const r = await app.inject('/ok')
  t.equal(r.statusCode, 403)
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(seen.handled, 0)
})

t.test('a participant registered under a prefix sees only early requests under it', async t => {
  const { port, seen } = await build(t, { prefix: '/api' })
  await rawRequest(port, 'GET /other/%zz HTTP/1.1\r\nHost: h\r\n\r\n')
  await rawRequest(port, 'GET /apix/%zz HTTP/1.1\r\nHost: h\r\n\r\n')
  await rawRequest(port, 'GET /other HTTP/1.1\r\nBad Header: x\r\n\r\n')
  await rawRequest(port, 'GET /api/%zz HTTP/1.1\r\nHost: h\r\n\r\n')
  await rawRequest(port, 'GET /api/ok HTTP/1.1\r\nHost: h\r\n\r\n')
  await rawRequest(port, 'GET /api/x HTTP/1.1\r\nBad Header: x\r\n\r\n')
  await settle(seen, 6)
  await new Promise(resolve => setTimeout(resolve, 50))
  t.same(seen.events, [
    'arrive GET /api/%zz early', 'depart /api/%zz 400',
    'arrive GET /api/ok', 'depart /api/ok 200',
    'clientErrorArrive 400', 'clientError 400 HPE_INVALID_HEADER_TOKEN'
  ])
})

t.test('without waf-socket the options still answer like Fastify does', async t => {
  const app = Fastify({ ...wafServerOptions() })
  app.get('/ok', async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const port = (app.server.address() as net.AddressInfo).port
  t.equal((await rawRequest(port, 'GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n')).status, 400)
  t.equal((await rawRequest(port, 'GET / HTTP/1.1\r\nBad Header: x\r\n\r\n')).status, 400)
  t.equal((await rawRequest(port, 'GET /ok HTTP/1.1\r\nHost: h\r\n\r\n')).status, 200)
})

t.test('a client gone with pipelined requests in flight: each one departs, the queued one too', async t => {
  const seen: Seen = { events: [], errors: [], handled: 0 }
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: { log: 'stdout:' } })
  app.addHook('onRequest', coreOf(app).onRequestHook(recorder(seen), app))
  let release: () => void = () => {}
  const hanging = new Promise<void>(resolve => { release = resolve })
  app.get('/hang', async () => { await hanging; return 'late' })
  app.get('/ok', async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { release(); await app.close() })
  const addr = app.server.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0
  const s = net.connect(port, '127.0.0.1')
  s.on('error', () => {})
  await new Promise(resolve => s.once('connect', resolve))
  // The second response waits behind the first, which hangs: Node never gives it the socket.
  s.write('GET /hang HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n')
  await settle(seen, 2)
  t.same(seen.events, ['arrive GET /hang', 'arrive GET /ok'])
  s.destroy()
  await settle(seen, 4)
  t.same(seen.events.slice(2).sort(), ['depart /hang 200', 'depart /ok 200'], 'both depart once the connection is gone')
  release()
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(seen.events.length, 4, 'and only once')
})
