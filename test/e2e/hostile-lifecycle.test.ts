import t from 'tap'
import { buildRequest, openConnection, rawRequest, responseComplete } from '../helpers/raw-http.js'
import { heartTotals, jsonLines, run, stopCleanly } from '../helpers/hostile.js'

/**
 * The gateway against clients that stall (heads, bodies, during a graceful close), send heads
 * Node's parser refuses, keep sending after they were refused, and attacks past the inspection
 * limits: each request answered, logged and counted once, and SIGTERM still exits 0 with a clean
 * forensic log. Raw sockets to loopback; the four logs are files read after the process exited.
 */

t.test('stalled heads and bodies are answered 408 and logged once; SIGTERM during a stall exits 0 with the final heartbeat', async t => {
  const r = await run(t, {}, 'timeouts: { header: 600, body: 600 }\n')
  const body = await openConnection(r.gw.port)
  body.write(buildRequest('POST', '/stall', [['Host', 'shop.example'], ['Content-Type', 'text/plain'], ['Content-Length', '100']], 'abc'))
  const head = await openConnection(r.gw.port)
  head.write('GET /half HTTP/1.1\r\nHost: shop.example\r\n')
  const answered = await body.waitFor(s => responseComplete(s), 5000)
  t.match(answered, /^HTTP\/1\.1 408 /, 'a body that stops: 408')
  t.match(answered, /\r\nx-request-id: [\w-]{27}\r\n/i)
  await body.closed
  const refused = await head.waitFor(s => responseComplete(s), 5000)
  t.match(refused, /^HTTP\/1\.1 408 /, 'a head that stops: 408')
  t.match(refused, /\r\nx-request-id: [\w-]{27}\r\n/i, 'the id of its log lines')
  // What the client sends after its 408 (the rest of the head, then FIN) is no request.
  head.write('X-Late: 1\r\n\r\n')
  head.write('GET /after HTTP/1.1\r\n\r\n')
  await new Promise(resolve => setTimeout(resolve, 200))
  head.destroy()
  // A third stall, cut by its body timeout while the gateway closes.
  const late = await openConnection(r.gw.port)
  late.write(buildRequest('POST', '/late', [['Host', 'shop.example'], ['Content-Length', '10']], 'x'))
  await new Promise(resolve => setTimeout(resolve, 100))
  await stopCleanly(t, r)
  t.match(late.received(), /^HTTP\/1\.1 408 /, 'the stall during close is answered 408 too')
  late.destroy()
  const access = jsonLines(r.log('access'))
  t.same(access.map(a => a.response.status).sort(), [408, 408, 408], 'three lines, no phantom 400 after the 408')
  t.equal(access.filter(a => a.error === 'ERR_HTTP_REQUEST_TIMEOUT').length, 1, 'the head timeout, from the parser')
  const plus = r.log('forensic').filter(l => l.startsWith('+'))
  t.equal(plus.length, 2, 'a "+" line for each request whose head arrived')
  const shop = heartTotals(jsonLines(r.log('heartbeat')))
  t.equal(shop.ac, 3, 'the final heartbeat counts each once')
  t.equal(shop['4x'], 3)
})

t.test('an oversized head and malformed heads are answered, logged and counted once', async t => {
  const r = await run(t)
  const long = await rawRequest(r.gw.port, `GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: shop.example\r\n\r\n`)
  t.equal(long.status, 431)
  t.match(long.response, /\r\nx-request-id: [\w-]{27}\r\n/i, 'x-request-id on the 431')
  const bad = await rawRequest(r.gw.port, 'GET / HTTP/1.1\r\nHost: shop.example\r\nBad Header\r\n\r\nGET /again HTTP/1.1\r\nHost: shop.example\r\n\r\n')
  t.equal(bad.status, 400)
  t.match(bad.response, /\r\nx-request-id: [\w-]{27}\r\n/i, 'x-request-id on the 400')
  await stopCleanly(t, r)
  const access = jsonLines(r.log('access'))
  t.same(access.map(a => [a.response.status, a.error]), [[431, 'HPE_HEADER_OVERFLOW'], [400, 'HPE_INVALID_HEADER_TOKEN']], 'one line each')
  const ids = [long, bad].map(x => /x-request-id: ([\w-]{27})/i.exec(x.response)?.[1])
  t.same(access.map(a => a.id), ids, 'the ids the clients got are the ids of the lines')
  t.equal(heartTotals(jsonLines(r.log('heartbeat'))).ac, 2, 'counted once each')
})

t.test('a request that arrives on an open connection while the gateway closes is answered and logged', async t => {
  const r = await run(t)
  const c = await openConnection(r.gw.port)
  c.write(buildRequest('GET', '/slow?ms=1500', [['Host', 'shop.example']]))
  await new Promise(resolve => setTimeout(resolve, 300))
  const stopped = r.gw.stop('SIGTERM')
  await new Promise(resolve => setTimeout(resolve, 300))
  c.write(buildRequest('GET', '/next', [['Host', 'shop.example']]))
  await c.closed
  t.match(c.received(), /^HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 200 [\s\S]*connection: close/i, 'the in-flight request finishes, the next one is answered with Connection: close')
  t.equal(await stopped, 0)
  const access = jsonLines(r.log('access'))
  t.same(access.map(a => [a.request.uri, a.response.status]), [['/slow?ms=1500', 200], ['/next', 200]], 'both logged')
  t.equal(r.log('forensic').length, 4, '"+" and "-" for both')
})
