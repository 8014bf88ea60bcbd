import t from 'tap'
import type { Test } from 'tap'
import { hostname } from 'node:os'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { wafSocket } from '../../plugins/socket.js'
import { wafRules } from '../../plugins/rules.js'
import { wafAttackLog } from '../../plugins/attack-log.js'
import type { AttackRecord, WafAttackLogOptions } from '../../plugins/attack-log.js'
import { wafAccessLog } from '../../plugins/access-log.js'
import { wafForensic } from '../../plugins/forensic.js'
import { wafServerOptions } from '../../plugins/core.js'
import { parseForensicLine } from '../../lib/forensic/parse.js'
import { isUniqueId } from '../../lib/lifecycle/unique-id.js'
import { tcpCollector } from '../helpers/collector.js'
import type { Collector } from '../helpers/collector.js'
import { buildRequest, rawRequest } from '../helpers/raw-http.js'

interface Setup { app: FastifyInstance, port: number, attack: Collector, access: Collector, forensic: Collector }

const fast = { flushInterval: 10, flushLimit: 1 }

/** The whole logging suite on three loopback TCP collectors, rules in `mode`. */
async function setup (t: Test, opts: WafAttackLogOptions = {}, mode: 'block' | 'detect' = 'block'): Promise<Setup> {
  const [attack, access, forensic] = await Promise.all([tcpCollector(), tcpCollector(), tcpCollector()])
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: { attack: { url: attack.url, ...fast }, access: { url: access.url, ...fast }, forensic: { url: forensic.url, ...fast }, alt: { url: attack.url, ...fast } } })
  await app.register(wafForensic)
  await app.register(wafRules, { mode })
  await app.register(wafAttackLog, opts)
  await app.register(wafAccessLog)
  app.get('/search', async () => 'ok')
  app.post('/form', async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => {
    await app.close()
    await Promise.all([attack.close(), access.close(), forensic.close()])
  })
  return { app, port: (app.server.address() as { port: number }).port, attack, access, forensic }
}

const HEADERS: Array<[string, string]> = [
  ['Host', 'Shop.Example:8080'], ['User-Agent', 'Mozilla/5.0'], ['Authorization', 'Bearer s3cret'],
  ['Cookie', 'session=abc'], ['Proxy-Authorization', 'Basic eA=='], ['X-Note', 'caf\u00e9']
]

t.test('options are checked at register time, naming the option', async t => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ channel: '' }, /waf-attack-log: option "channel" must be/],
    [{ channel: 'nope' }, /option "channel" names "nope", which is not a channel/],
    [{ includeHeaders: 'yes' }, /option "includeHeaders" must be true or false/],
    [{ redactHeaders: 'cookie' }, /option "redactHeaders" must be an array/],
    [{ node: 'edge 1' }, /waf-attack-log: option "node" must be 1 to 253 printable ASCII characters/],
    [{ colour: 1 }, /option "colour" is not an option/]
  ]
  for (const [opts, re] of cases) {
    const app = Fastify()
    await app.register(wafSocket, { channels: { attack: 'stdout:' } })
    await t.rejects(async () => { await app.register(wafAttackLog, opts as WafAttackLogOptions).ready() }, re)
    await app.close()
  }
})

t.test('one attack line per request with attacks, shaped as DESIGN.md; headers redacted', async t => {
  const s = await setup(t)
  const denied = await rawRequest(s.port, buildRequest('GET', '/search?q=1%27%20or%201=1--', HEADERS))
  t.match(denied.response, /^HTTP\/1\.1 403 /)
  const clean = await rawRequest(s.port, buildRequest('GET', '/search?q=shoes', HEADERS))
  t.match(clean.response, /^HTTP\/1\.1 200 /)
  const [line] = await s.attack.waitForLines(1)
  const rec = JSON.parse(line) as AttackRecord
  t.equal(rec.type, 'attack')
  t.ok(isUniqueId(rec.id))
  t.ok(Math.abs(rec.time - Date.now()) < 60000)
  t.equal(rec.host, 'shop.example')
  t.equal(rec.client_ip, '127.0.0.1')
  t.equal(rec.request.method, 'GET')
  t.equal(rec.request.uri, '/search?q=1%27%20or%201=1--')
  t.same(rec.request.headers, {
    host: 'Shop.Example:8080', 'user-agent': 'Mozilla/5.0', authorization: 'REDACTED', cookie: 'REDACTED',
    'proxy-authorization': 'REDACTED', 'x-note': 'café'
  })
  t.equal(rec.mode, 'block')
  t.equal(rec.action, 'deny')
  t.equal(rec.worker, 0)
  t.equal(rec.node, hostname(), 'the node is the host name by default')
  t.same(Object.keys(rec).slice(-2), ['worker', 'node'])
  t.ok(rec.attacks.length >= 1)
  const a = rec.attacks[0]
  t.same(Object.keys(a).sort(), ['action', 'detect_type', 'disruptive', 'file', 'line', 'location', 'msg', 'payload', 'phase', 'rule_id', 'severity', 'tags'])
  t.equal(a.phase, 1, 'the phase of the match')
  t.equal(a.disruptive, 'deny', 'the rule\'s own action')
  t.ok(Number.isInteger(a.line) && (a.line ?? 0) > 0, 'and where it is written')
  t.match(a.file, /rules\/default\/42-sqli\.yaml$/)
  t.same([a.detect_type, a.location, a.payload, a.action, a.severity], ['sqli', 'ARGS:q', "1' or 1=1--", 'deny', 'critical'])
  t.match(a.rule_id, /^1001\d\d$/)
  t.type(a.msg, 'string')
  await new Promise(resolve => setTimeout(resolve, 100))
  t.equal(s.attack.lines().length, 1, 'no line for the clean request')
})

t.test('secrets in redacted headers that trigger rules reach no log: payloads, locations and headers read REDACTED', async t => {
  const s = await setup(t, {}, 'detect')
  // Shellshock fires on Authorization, JNDI on Proxy-Authorization, SQLi on a cookie value, XSS
  // on a bare cookie (no "="), which the cookie parser makes a cookie name.
  const res = await rawRequest(s.port, buildRequest('GET', '/search', [
    ['Host', 'h'], ['Authorization', 'Bearer () { :; }; SECRET-AUTH-1'], ['Proxy-Authorization', 'Basic ${jndi:ldap://SECRET-PROXY-2}'],
    ['Cookie', "sid=1' or 1=1-- SECRET-COOKIE-3; <script>SECRET-BARE-4"]
  ]))
  t.match(res.response, /^HTTP\/1\.1 200 /)
  const [line] = await s.attack.waitForLines(1)
  await s.access.waitForLines(1)
  await s.forensic.waitForLines(2)
  const rec = JSON.parse(line) as AttackRecord
  const locations = rec.attacks.map(a => a.location)
  for (const l of ['REQUEST_HEADERS:Authorization', 'REQUEST_HEADERS:Proxy-Authorization', 'REQUEST_COOKIES:sid', 'REQUEST_COOKIES_NAMES:REDACTED']) {
    t.ok(locations.includes(l), `a rule fired on ${l}`)
  }
  t.ok(rec.attacks.every(a => a.payload === 'REDACTED'), 'every payload is redacted')
  for (const [name, c] of [['attack', s.attack], ['access', s.access], ['forensic', s.forensic]] as const) {
    t.notMatch(c.lines().join('\n'), /SECRET-/, `no secret in the ${name} log`)
    t.match(c.lines().join('\n'), /REDACTED/, `the ${name} log shows the one marker`)
  }
})

t.test('the attack, access and forensic lines of a request share its id', async t => {
  const s = await setup(t, {}, 'detect')
  const res = await rawRequest(s.port, buildRequest('GET', '/search?f=../../etc/passwd', HEADERS))
  t.match(res.response, /^HTTP\/1\.1 200 /, 'detect mode lets it through')
  const deny = await setup(t)
  const denied = await rawRequest(deny.port, buildRequest('POST', '/form', [...HEADERS, ['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', '26']], 'c=%3Cscript%3Ealert(1)%3C/'))
  t.match(denied.response, /^HTTP\/1\.1 403 /)
  for (const [name, x] of [['detect', s], ['block', deny]] as const) {
    const [attack] = await x.attack.waitForLines(1)
    const [access] = await x.access.waitForLines(1)
    const forensic = await x.forensic.waitForLines(2)
    const id = (JSON.parse(attack) as AttackRecord).id
    const acc = JSON.parse(access) as { id: string, waf: { action: string, attacks: number }, response: { status: number } }
    t.equal(acc.id, id, `${name}: access line`)
    t.same(forensic.map(l => parseForensicLine(l).id), [id, id], `${name}: forensic "+" and "-" lines`)
    t.equal(forensic[0][0], '+')
    t.equal(forensic[1][0], '-', 'the "-" line is still written for a denied request')
    t.equal(acc.waf.action, name === 'block' ? 'deny' : 'log')
    t.ok(acc.waf.attacks >= 1)
    t.equal(acc.response.status, name === 'block' ? 403 : 200)
  }
})

t.test('includeHeaders: false, custom redaction, another channel', async t => {
  const s = await setup(t, { includeHeaders: false })
  await rawRequest(s.port, buildRequest('GET', '/search?q=<script>', HEADERS))
  const rec = JSON.parse((await s.attack.waitForLines(1))[0]) as AttackRecord
  t.notOk('headers' in rec.request)
  const r = await setup(t, { redactHeaders: ['X-Note'], channel: 'alt' })
  await rawRequest(r.port, buildRequest('GET', '/search?q=<script>', HEADERS))
  const rec2 = JSON.parse((await r.attack.waitForLines(1))[0]) as AttackRecord
  t.equal(rec2.request.headers?.['x-note'], 'REDACTED')
  t.equal(rec2.request.headers?.authorization, 'Bearer s3cret', 'the list replaces the default')
})

t.test('hostile bytes never forge a line', async t => {
  const s = await setup(t)
  const raw = Buffer.from('GET /search?q=%0d%0a%22%7d%3Cscript%3E HTTP/1.1\r\nHost: a\r\nUser-Agent: \xff\xfe"}\r\n\r\n', 'latin1')
  await rawRequest(s.port, raw)
  const lines = await s.attack.waitForLines(1)
  t.equal(lines.length, 1)
  const rec = JSON.parse(lines[0]) as AttackRecord
  t.equal(rec.request.headers?.['user-agent'], '\u00ff\u00fe"}', 'invalid UTF-8 kept as latin1 characters, JSON-escaped')
  t.ok(rec.attacks.some(a => a.payload.includes('\r\n')), 'CR LF inside a payload stay inside the JSON string')
})

t.test('a request Node\'s HTTP parser refuses is still checked and logged (action log: Node answered 400)', async t => {
  const s = await setup(t)
  // A control byte in a header value: Node answers 400 before Fastify sees the request.
  const raw = 'GET /search?q=1%27%20or%201=1 HTTP/1.1\r\nHost: shop.example\r\nAuthorization: Bearer s3cret\r\nX-Bad: a\u0001b\r\n\r\n'
  const r = await rawRequest(s.port, raw)
  t.equal(r.status, 400, 'Node\'s own answer')
  const rec = JSON.parse((await s.attack.waitForLines(1))[0]) as AttackRecord
  t.equal(rec.action, 'log', 'recorded, not denied: the parser had answered already')
  t.equal(rec.mode, 'block')
  t.equal(rec.request.method, 'GET')
  t.equal(rec.request.uri, '/search?q=1%27%20or%201=1')
  t.equal(rec.request.headers?.authorization, 'REDACTED')
  t.ok(rec.attacks.some(a => a.detect_type === 'sqli' && a.location === 'ARGS:q'), 'the sqli rule on ARGS:q')
  const forensic = await s.forensic.waitForLines(2)
  t.equal(forensic[1], `-${rec.id}`, 'same id as the forensic "+"/"-" pair, the "-" line last')
  const access = JSON.parse((await s.access.waitForLines(1))[0]) as { id: string, response: { status: number } }
  t.equal(access.id, rec.id)
  t.equal(access.response.status, 400)

  // A request line Node cannot read at all (a space inside the target): its words, leniently.
  const bad = await rawRequest(s.port, 'GET /a b?f=../../etc/passwd HTTP/1.1\r\nHost: shop.example\r\n\r\n')
  t.equal(bad.status, 400)
  const rec2 = JSON.parse((await s.attack.waitForLines(2))[1]) as AttackRecord
  t.equal(rec2.request.method, 'GET')
  t.equal(rec2.request.uri, '/a b?f=../../etc/passwd')
  t.ok(rec2.attacks.some(a => a.detect_type === 'lfi'), 'the path traversal in the target')
})

t.test('a header with invalid UTF-8 reads the same in the payload and in request.headers; a deep location is capped', async t => {
  const s = await setup(t, {}, 'detect')
  await rawRequest(s.port, buildRequest('GET', '/search', [['Host', 'h'], ['User-Agent', 'sqlmap/1.0 \u00ff\u00fe']]))
  const rec = JSON.parse((await s.attack.waitForLines(1))[0]) as AttackRecord
  const ua = rec.attacks.find(a => a.location === 'REQUEST_HEADERS:User-Agent')
  t.ok(ua, 'the scanner rule fired on the User-Agent')
  t.equal(ua?.payload, rec.request.headers?.['user-agent'], 'one text for one value')
  t.equal(ua?.payload, 'sqlmap/1.0 \u00ff\u00fe', 'the bytes that are no UTF-8 as latin1 characters, not U+FFFD')

  let deep: unknown = "1' or 1=1--"
  for (let i = 0; i < 400; i++) deep = { a: deep }
  const body = JSON.stringify(deep)
  await rawRequest(s.port, buildRequest('POST', '/form', [['Host', 'h'], ['Content-Type', 'application/json'], ['Content-Length', String(body.length)]], body))
  const lines = await s.attack.waitForLines(2)
  const entries = (JSON.parse(lines[1]) as AttackRecord).attacks
  t.ok(entries.some(a => a.location.startsWith('ARGS_POST:a.a.a.')), 'the match deep in the body')
  t.ok(entries.every(a => a.location.length <= 256), 'every location at most 256 characters')
  t.ok(entries.some(a => a.location.endsWith('…')), 'a cut location says so')
})
