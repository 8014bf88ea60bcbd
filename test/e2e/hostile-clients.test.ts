import t from 'tap'
import { buildRequest, openConnection, rawRequest, responseComplete } from '../helpers/raw-http.js'
import { HOP_BY_HOP, jsonLines, recordingUpstream, run, stopCleanly } from '../helpers/hostile.js'
import type { Json } from '../helpers/hostile.js'

/**
 * The gateway against clients that do what real (and hostile) clients do: secrets in headers
 * that trigger rules, `Expect`, `Upgrade`, `Keep-Alive`, HTTP/1.0 and `Connection: close`,
 * and what the gateway passes on (hop-by-hop fields) both ways; stalls, refused heads and
 * limits are in hostile-lifecycle.test.ts. Raw sockets to loopback; the four logs are files read
 * after the process exited.
 */

t.test('secrets in Authorization, Proxy-Authorization and Cookie that trigger rules reach none of the four logs', async t => {
  const format = '$remote_addr "$request" $status a=$http_authorization p=$http_proxy_authorization c=$http_cookie s=$cookie_sid'
  for (const mode of ['block', 'detect']) {
    const r = await run(t, { WAF_MODE: mode, WAF_ACCESS_FORMAT: format })
    const secrets = [
      ['Authorization', 'Bearer () { :; }; SECRET-AUTH-1'],
      ['Proxy-Authorization', 'Basic ${jndi:ldap://SECRET-PROXY-2}'],
      ['Cookie', "sid=<script>SECRET-COOKIE-3; 1' or 1=1-- SECRET-BARE-4"]
    ] as Array<[string, string]>
    const all = await rawRequest(r.gw.port, buildRequest('GET', '/?q=1', [['Host', 'shop.example'], ...secrets, ['Connection', 'close']]))
    t.equal(all.status, mode === 'block' ? 403 : 200, `${mode}: the request is answered`)
    for (const h of secrets) {
      const one = await rawRequest(r.gw.port, buildRequest('POST', '/form', [['Host', 'shop.example'], h, ['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', '3'], ['Connection', 'close']], 'a=1'))
      t.equal(one.status, mode === 'block' ? 403 : 200, `${mode}: ${h[0]} alone`)
    }
    // A head the parser refuses is logged through the early path, its rules run on the raw head.
    const refused = await rawRequest(r.gw.port, 'GET / HTTP/1.1\r\nHost: shop.example\r\nAuthorization: Bearer () { :; }; SECRET-REFUSED-5\r\nCookie: sid=SECRET-REFUSED-6\r\nBad Header\r\n\r\n')
    t.equal(refused.status, 400)
    await stopCleanly(t, r)
    const attacks = jsonLines(r.log('attack'))
    t.equal(attacks.length, 5, `${mode}: every request has its attack record`)
    const locations = new Set(attacks.flatMap(a => (a.attacks as Json[]).map(e => e.location as string)))
    for (const l of ['REQUEST_HEADERS:Authorization', 'REQUEST_HEADERS:Proxy-Authorization', 'REQUEST_COOKIES:sid']) t.ok(locations.has(l), `${mode}: a rule fired on ${l}`)
    t.equal(r.log('access').length, 5)
    for (const name of ['forensic', 'access', 'attack', 'heartbeat']) {
      const text = r.log(name).join('\n')
      t.ok(text.length > 0, `${mode}: the ${name} log has lines`)
      t.notMatch(text, /SECRET-/, `${mode}: no secret in the ${name} log`)
      if (name !== 'heartbeat') t.match(text, /REDACTED/, `${mode}: the ${name} log writes the one marker`)
      t.notMatch(text, /\[REDACTED\]/, `${mode}: and no other`)
    }
  }
})

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
