import t from 'tap'
import { buildRequest, rawRequest } from '../helpers/raw-http.js'
import { jsonLines, run, stopCleanly } from '../helpers/hostile.js'
import type { Json } from '../helpers/hostile.js'

/**
 * Secrets in the headers every log redacts (Authorization, Proxy-Authorization, Cookie), sent so
 * that rules fire on them, through the gateway in block and detect mode and through the early
 * path of a refused head: none reaches any of the four log files, each of which writes the one
 * marker, REDACTED.
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
