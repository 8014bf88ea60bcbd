import t from 'tap'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { gatewayRefuses } from '../helpers/gateway.js'
import { buildRequest, openConnection, rawRequest, responseComplete } from '../helpers/raw-http.js'
import { HOP_BY_HOP, heartTotals, jsonLines, recordingUpstream, run, stopCleanly } from '../helpers/hostile.js'

/**
 * The gateway as a proxy, against clients that do what real (and hostile) clients do: `Expect:
 * 100-continue`, `Upgrade` (WebSocket), `Keep-Alive`, `TE`, chunked bodies, HTTP/1.0 and
 * `Connection: close`, absolute-form targets and `OPTIONS *`; what it passes on both ways (no
 * hop-by-hop field), and a port already in use. Secrets, stalls, refused heads and limits have
 * their own files (hostile-*.test.ts). Raw sockets to loopback; the four logs are files read
 * after the process exited.
 */

t.test('Expect: 100-continue is answered as nginx does, the body forwarded; hop-by-hop request fields never reach the upstream', async t => {
  const up = await recordingUpstream(t)
  const r = await run(t, {}, '', up.url)
  const body = 'a'.repeat(2048)
  const c = await openConnection(r.gw.port)
  c.write(buildRequest('POST', '/upload', [['Host', 'shop.example'], ['Content-Type', 'text/plain'], ['Content-Length', String(body.length)], ['Expect', '100-continue']]))
  await c.waitFor(s => s.includes('\r\n\r\n'))
  t.match(c.received(), /^HTTP\/1\.1 100 Continue\r\n\r\n$/, 'the interim 100 comes before the body is sent')
  c.write(body)
  const answered = await c.waitFor(s => responseComplete(s.slice(s.indexOf('\r\n\r\n') + 4)))
  t.match(answered, /HTTP\/1\.1 200 OK/, 'the final answer is the upstream\'s')
  c.destroy()

  const chunked = await rawRequest(r.gw.port, buildRequest('POST', '/chunked', [['Host', 'shop.example'], ['Content-Type', 'text/plain'], ['Transfer-Encoding', 'chunked'],
    ['TE', 'trailers'], ['Trailer', 'X-T'], ['Keep-Alive', 'timeout=5'], ['Proxy-Connection', 'keep-alive'], ['Connection', 'keep-alive, X-Client-Private, x-request-id'],
    ['X-Client-Private', 'secret hop'], ['Upgrade', 'h2c']], '5\r\nhello\r\n0\r\n\r\n'))
  t.equal(chunked.status, 200, 'Keep-Alive, TE, Trailer, Upgrade, a chunked body: forwarded, no 502')
  const ka = await rawRequest(r.gw.port, buildRequest('GET', '/ka', [['Host', 'shop.example'], ['Keep-Alive', 'timeout=5'], ['Connection', 'close']]))
  t.equal(ka.status, 200, 'Keep-Alive alone: no 502')

  t.equal(up.seen.length, 3)
  t.equal(up.seen[0].body, 2048, 'the upstream got the whole body after the 100')
  t.equal(up.seen[1].body, 5, 'the chunked body, de-chunked, with its length')
  t.equal(up.seen[1].headers['content-length'], '5')
  for (const s of up.seen) {
    for (const h of [...HOP_BY_HOP, 'x-client-private']) {
      // The gateway's own connection to the upstream has its own Connection field (undici's).
      if (h === 'connection') t.equal(s.headers.connection ?? 'keep-alive', 'keep-alive', 'the upstream sees only the gateway\'s own Connection')
      else t.notOk(h in s.headers, `the upstream never sees ${h}`)
    }
    t.match(s.headers['x-request-id'], /^[\w-]{27}$/, 'naming x-request-id in Connection does not remove the gateway\'s own')
  }
  await stopCleanly(t, r)
  const access = jsonLines(r.log('access'))
  t.same(access.map(a => a.response.status), [200, 200, 200], 'each logged once, as answered')
})

t.test('WebSocket upgrades are refused: Upgrade is dropped and the request answered as plain HTTP (never 101)', async t => {
  const up = await recordingUpstream(t)
  const r = await run(t, {}, '', up.url)
  const res = await rawRequest(r.gw.port, buildRequest('GET', '/chat', [['Host', 'shop.example'], ['Connection', 'Upgrade'], ['Upgrade', 'websocket'],
    ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']]))
  t.equal(res.status, 200, 'the upstream\'s plain answer, not 101 Switching Protocols')
  t.notMatch(res.response, /\r\nupgrade:/i)
  t.equal(up.seen.length, 1)
  t.notOk('upgrade' in up.seen[0].headers, 'the upstream is not asked to switch')
  t.equal(up.seen[0].headers.connection ?? 'keep-alive', 'keep-alive', 'nor told Connection: Upgrade')
  await stopCleanly(t, r)
  t.equal(r.log('access').length, 1, 'logged once')
})

t.test('the upstream\'s hop-by-hop response fields never reach the client; Connection: close and HTTP/1.0 close the connection', async t => {
  const up = await recordingUpstream(t)
  const r = await run(t, {}, '', up.url)
  const head = (s: string): string => s.slice(0, s.indexOf('\r\n\r\n')).toLowerCase()
  const clients: Array<[string, string]> = [
    ['Connection: close', buildRequest('GET', '/a', [['Host', 'shop.example'], ['Connection', 'close']])],
    ['HTTP/1.0', buildRequest('GET', '/b', [['Host', 'shop.example']], '', 'HTTP/1.0')]
  ]
  for (const [name, req] of clients) {
    const c = await openConnection(r.gw.port)
    c.write(req)
    const closedInTime = await Promise.race([c.closed.then(() => true), new Promise(resolve => setTimeout(() => resolve(false), 3000))])
    t.ok(closedInTime, `${name}: the gateway closes the connection after the response`)
    const got = c.received()
    t.match(got, /^HTTP\/1\.1 200 /)
    t.match(got, /ok(\r\n0\r\n\r\n)?$/, `${name}: the whole body`)
    const h = head(got)
    t.match(h, /\r\nconnection: close/, `${name}: Connection: close answered`)
    for (const f of ['keep-alive: timeout=5', 'x-up-private', 'upgrade:', 'proxy-connection', 'trailer:']) t.notOk(h.includes(f), `${name}: no ${f}`)
    c.destroy()
  }
  // A keep-alive client keeps its connection: two requests, one socket.
  const c = await openConnection(r.gw.port)
  c.write(buildRequest('GET', '/c', [['Host', 'shop.example']]))
  await c.waitFor(responseComplete)
  t.match(head(c.received()), /\r\nconnection: keep-alive/)
  t.notOk(head(c.received()).includes('x-up-private'))
  c.write(buildRequest('GET', '/d', [['Host', 'shop.example']]))
  await c.waitFor(s => s.split('HTTP/1.1 200').length === 3 && s.endsWith('0\r\n\r\n'))
  t.notOk(c.received().toLowerCase().includes('connection: close'), 'still open after the second')
  c.destroy()
  await stopCleanly(t, r)
  t.equal(r.log('access').length, 4)
})

t.test('absolute-form targets are forwarded as their path, OPTIONS * is answered by the gateway: no 500', async t => {
  const up = await recordingUpstream(t)
  const r = await run(t, {}, '', up.url)
  const absolute = await rawRequest(r.gw.port, buildRequest('GET', 'http://shop.example/x?a=1', [['Host', 'shop.example']]))
  t.equal(absolute.status, 200, 'absolute-form: forwarded')
  const star = await rawRequest(r.gw.port, buildRequest('OPTIONS', '*', [['Host', 'shop.example']]))
  t.equal(star.status, 204, 'OPTIONS *: about the server, which the gateway is')
  t.equal(up.seen.length, 1, 'only the absolute-form request went upstream')
  await stopCleanly(t, r)
  const access = jsonLines(r.log('access'))
  t.same(access.map(a => [a.request.uri, a.response.status]), [['http://shop.example/x?a=1', 200], ['*', 204]], 'logged as received, with their statuses')
  t.equal(heartTotals(jsonLines(r.log('heartbeat')))['5x'], 0, 'no server error counted')
})

t.test('a port already in use is one clear line and exit 1', async t => {
  const busy = net.createServer()
  await new Promise<void>(resolve => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { busy.close() })
  const port = (busy.address() as AddressInfo).port
  const r = await gatewayRefuses({ WAF_PORT: String(port), WAF_LOG_DIR: t.testdir({}) }, t.testdir({}))
  t.equal(r.code, 1)
  const lines = r.stderr.split('\n').filter(l => l.length > 0 && !l.includes(' rules: '))
  t.same(lines, [`fastify-waflog gateway: cannot listen on 127.0.0.1:${port}: the address is already in use (EADDRINUSE)`])
})
