import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { request as httpRequest } from 'node:http'
import { wafSocket } from '../../plugins/socket.js'
import { wafRules } from '../../plugins/rules.js'
import type { WafRulesOptions } from '../../plugins/rules.js'
import { wafServerOptions } from '../../plugins/core.js'
import type { WafContext } from '../../lib/lifecycle/context.js'
import { wafAttackLog } from '../../plugins/attack-log.js'
import type { AttackRecord } from '../../plugins/attack-log.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rawRequest, buildRequest } from '../helpers/raw-http.js'

interface Seen {
  handled: number
  ctx: WafContext[]
  bodies: unknown[]
  records: AttackRecord[]
}

/** An app with waf-socket (stdout channels unused), waf-rules and a few routes; contexts are kept. */
async function build (t: Test, opts: WafRulesOptions = {}, extra?: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance, seen: Seen }> {
  const app = Fastify({ ...wafServerOptions() })
  const dir = mkdtempSync(join(tmpdir(), 'waf-rules-'))
  await app.register(wafSocket, { channels: { attack: `file://${dir}/attack.log` } })
  await app.register(wafRules, opts)
  await app.register(wafAttackLog)
  const seen: Seen = { handled: 0, ctx: [], bodies: [], records: [] }
  app.wafLog.onWrite('attack', rec => { seen.records.push(rec as unknown as AttackRecord) })
  app.addHook('onResponse', async request => { if (request.waf !== null) seen.ctx.push(request.waf) })
  const handler = async (request: { body: unknown }): Promise<string> => {
    seen.handled++
    seen.bodies.push(request.body)
    return 'ok'
  }
  app.get('/', handler)
  app.get('/search', handler)
  app.post('/form', handler)
  app.get('/off', { config: { waf: { rules: false } } }, handler)
  app.get('/api/x', handler)
  if (extra !== undefined) extra(app)
  t.teardown(async () => {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { app, seen }
}

const UA = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' }

t.test('options are checked at register time, naming the option', async t => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ mode: 'loud' }, /waf-rules: option "mode" is "loud"/],
    [{ denyStatus: 200 }, /option "denyStatus" must be an HTTP status/],
    [{ maxPayload: 0 }, /option "maxPayload" must be a whole number/],
    [{ limits: { args: -1 } }, /option "limits\.args"/],
    [{ limits: { bytes: 1 } }, /option "limits\.bytes" is not a limit/],
    [{ limits: { action: 'drop' } }, /option "limits\.action"/],
    [{ rules: 42 }, /option "rules" must be a path/],
    [{ rules: [] }, /option "rules" must be a path/],
    [{ defaultRules: 'yes' }, /option "defaultRules" must be true or false/],
    [{ policies: { 'a.example': { mode: 'loud' } } }, /option "policies\.a\.example\.mode"/],
    [{ policies: 'x' }, /option "policies" must map domains/],
    [{ exclusions: [{ ruleId: 'x' }] }, /option "exclusions\[0\]\.ruleId"/],
    [{ exclusions: {} }, /option "exclusions" must be an array/],
    [{ crs: { paranoia: 7 } }, /option "crs\.paranoia"/],
    [{ resultCacheBytes: -5 }, /option "resultCacheBytes" must be a whole number of bytes from 0 \(off\)/],
    [{ resultCacheBytes: '16MiB' }, /option "resultCacheBytes" must be a whole number of bytes/],
    [{ colour: 'red' }, /option "colour" is not an option/],
    [{ include: ['api'] }, /option "include"/]
  ]
  for (const [opts, re] of cases) {
    const app = Fastify()
    await app.register(wafSocket, { channels: {} })
    await t.rejects(async () => { await app.register(wafRules, opts as WafRulesOptions).ready() }, re, JSON.stringify(opts))
    await app.close()
  }
  const bare = Fastify()
  await t.rejects(async () => { await bare.register(wafRules).ready() }, /waf-socket/)
  await bare.close()
  const badRules = Fastify()
  await badRules.register(wafSocket, { channels: {} })
  const dir = t.testdir({ 'r.yaml': '- id: 9\n  targets: [ARGS]\n  pattern: "(?=x)"\n' })
  await t.rejects(async () => { await badRules.register(wafRules, { rules: dir }).ready() }, /r\.yaml:1: rule 9: pattern:/)
  await badRules.close()
})

t.test('block mode: a deny answers 403 with the request id; the handler never runs', async t => {
  const { app, seen } = await build(t)
  const res = await app.inject({ url: "/search?q=1'%20union%20select%20password%20from%20users--", headers: UA })
  t.equal(res.statusCode, 403)
  t.equal(seen.handled, 0)
  const body = res.json() as { statusCode: number, error: string, id: string }
  t.equal(body.statusCode, 403)
  t.equal(body.error, 'Forbidden')
  const ctx = seen.ctx[0]
  t.equal(body.id, ctx.id)
  t.equal(ctx.action, 'deny')
  t.equal(ctx.attacks[0].ruleId, '100101')
  t.equal(ctx.attacks[0].location, 'ARGS:q')
  t.equal(ctx.attacks[0].detectType, 'sqli')
  t.ok(ctx.wafMs > 0, 'time spent in checks is recorded')
  const ok = await app.inject({ url: '/search?q=running+shoes', headers: UA })
  t.equal(ok.statusCode, 200)
  t.equal(seen.ctx[1].action, 'pass')
  t.same(seen.ctx[1].attacks, [])
})

t.test('detect mode logs and lets the request through; off checks nothing', async t => {
  const detect = await build(t, { mode: 'detect' })
  const res = await detect.app.inject({ url: '/search?q=<script>alert(1)</script>', headers: UA })
  t.equal(res.statusCode, 200)
  t.equal(detect.seen.handled, 1)
  t.equal(detect.seen.ctx[0].action, 'log')
  t.ok(detect.seen.ctx[0].attacks.length >= 1)
  t.ok(detect.seen.ctx[0].attacks.every(a => a.detectType === 'xss'))
  t.equal(detect.seen.ctx[0].attacks[0].action, 'log', 'entries say what was done')
  t.equal(detect.seen.ctx[0].attacks[0].disruptive, 'deny', 'and keep what the rule would have done')
  const off = await build(t, { mode: 'off' })
  const r2 = await off.app.inject({ url: '/search?q=<script>alert(1)</script>', headers: UA })
  t.equal(r2.statusCode, 200)
  t.same(off.seen.ctx[0].attacks, [])
  t.equal(off.seen.ctx[0].policy.mode, 'off')
})

t.test('per-domain policies: table and function', async t => {
  const { app, seen } = await build(t, {
    mode: 'block',
    policies: { 'lab.example': { mode: 'detect' }, 'static.example': { rules: false } }
  })
  const attack = '/search?q=../../etc/passwd'
  t.equal((await app.inject({ url: attack, headers: { ...UA, host: 'shop.example' } })).statusCode, 403)
  t.equal((await app.inject({ url: attack, headers: { ...UA, host: 'LAB.example:8080' } })).statusCode, 200)
  t.equal((await app.inject({ url: attack, headers: { ...UA, host: 'static.example' } })).statusCode, 200)
  t.same(seen.ctx.map(c => [c.domain, c.action, c.attacks.length > 0]), [['shop.example', 'deny', true], ['lab.example', 'log', true], ['static.example', 'pass', false]])
  const fn = await build(t, { policies: (domain) => domain.endsWith('.test') ? { mode: 'detect', rules: true } : undefined })
  t.equal((await fn.app.inject({ url: attack, headers: { ...UA, host: 'a.test' } })).statusCode, 200)
  t.equal((await fn.app.inject({ url: attack, headers: { ...UA, host: 'a.example' } })).statusCode, 403)
})

t.test('phase 2: urlencoded and JSON bodies, parsed for the app too', async t => {
  const { app, seen } = await build(t)
  const ok = await app.inject({ method: 'POST', url: '/form', headers: { ...UA, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=Jos%C3%A9&tags=a&tags=b' })
  t.equal(ok.statusCode, 200)
  t.same(seen.bodies[0], { name: 'José', tags: ['a', 'b'] }, 'the app gets the parsed form')
  const form = await app.inject({ method: 'POST', url: '/form', headers: { ...UA, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'comment=%3Cscript%3Ealert(1)%3C%2Fscript%3E' })
  t.equal(form.statusCode, 403)
  t.equal(seen.handled, 1, 'the handler did not run')
  t.equal(seen.ctx[1].attacks[0].location, 'ARGS_POST:comment')
  const json = await app.inject({ method: 'POST', url: '/form', headers: UA, payload: { user: { bio: "x' or 1=1--" } } })
  t.equal(json.statusCode, 403)
  t.equal(seen.ctx[2].attacks[0].location, 'ARGS_POST:user.bio')
  t.equal(seen.handled, 1)
})

t.test('an app with its own urlencoded parser keeps it (parseUrlencoded)', async t => {
  const own = Fastify()
  own.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) => { done(null, { raw: body }) })
  await own.register(wafSocket, { channels: {} })
  await own.register(wafRules)
  own.post('/', async request => request.body)
  t.same((await own.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/x-www-form-urlencoded', ...UA }, payload: 'a=1' })).json(), { raw: 'a=1' })
  t.equal((await own.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/x-www-form-urlencoded', ...UA }, payload: 'a=<script>x' })).statusCode, 403, 'still inspected, as parsed')
  await own.close()
  const none = Fastify()
  await none.register(wafSocket, { channels: {} })
  await none.register(wafRules, { parseUrlencoded: false })
  none.post('/', async () => 'ok')
  t.equal((await none.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=1' })).statusCode, 415, 'no parser registered')
  await none.close()
})

t.test('exclusions, limits and route switches', async t => {
  const { app, seen } = await build(t, {
    exclusions: [{ ruleId: '100201-100299', target: 'ARGS:html', prefix: '/api' }],
    limits: { args: 3, valueBytes: 64, action: 'log' },
    exclude: ['/static']
  }, a => { a.get('/static/x', async () => 'ok') })
  t.equal((await app.inject({ url: '/api/x?html=<script>x</script>', headers: UA })).statusCode, 200, 'excluded target under the prefix')
  t.equal((await app.inject({ url: '/api/x?other=<script>x</script>', headers: UA })).statusCode, 403)
  t.equal((await app.inject({ url: '/off?q=<script>x</script>', headers: UA })).statusCode, 200, 'route config waf.rules=false')
  t.equal((await app.inject({ url: '/static/x?q=<script>x</script>', headers: UA })).statusCode, 200, 'exclude prefix')
  seen.ctx.length = 0
  t.equal((await app.inject({ url: '/search?a=1&b=2&c=3&d=<script>x</script>', headers: UA })).statusCode, 200)
  t.same(seen.ctx[0].attacks.map(a => [a.ruleId, a.location]), [['200001', 'ARGS_GET']], 'the cut is logged')
  t.equal(seen.ctx[0].action, 'log')
})

t.test('scanner user agents set request.waf.bot', async t => {
  const { app, seen } = await build(t)
  t.equal((await app.inject({ url: '/', headers: { 'user-agent': 'sqlmap/1.7.2#stable (https://sqlmap.org)' } })).statusCode, 403)
  t.equal((await app.inject({ url: '/', headers: { 'user-agent': 'curl/8.5.0' } })).statusCode, 200)
  t.equal((await app.inject({ url: '/', headers: UA })).statusCode, 200)
  t.same(seen.ctx.map(c => [c.bot, c.attacks.length]), [[true, 1], [true, 0], [false, 0]], 'curl is a bot, not an attack')
})

t.test('check(input) runs the engine without HTTP', async t => {
  const { app } = await build(t, { mode: 'detect' })
  const r = app.wafRules.check({ method: 'GET', url: '/?f=../../../etc/passwd', rawHeaders: ['Host', 'x', 'User-Agent', 'Mozilla/5.0'] })
  t.equal(r.action, 'log')
  t.same([...new Set(r.attacks.map(a => a.detectType))], ['lfi'])
  t.equal(app.wafRules.check({ method: 'GET', url: '/?f=x', rawHeaders: ['Host', 'x'] }, { mode: 'block' }).action, 'pass')
  t.ok(app.wafRules.rules.length >= 30)
  t.equal(app.wafRules.seclang, undefined)
})

t.test('resultCacheBytes: one cache for the registration\'s engines, its counters in resultCacheStats(); 0 turns it off', async t => {
  const dir = t.testdir({ 'shop.yaml': '- id: 990001\n  targets: [ARGS]\n  pattern: "shop-only"\n' })
  const { app } = await build(t, { mode: 'detect', resultCacheBytes: 1 << 20, domainRules: { 'shop.example': join(dir, 'shop.yaml') } })
  const shop = app.wafRules.domains.get('shop.example')!.engine
  t.equal(shop.resultCache, app.wafRules.engine.resultCache, 'the domain engine shares the registration\'s cache')
  const input = { method: 'GET', url: '/?f=x', rawHeaders: ['Host', 'x', 'User-Agent', 'Mozilla/5.0'] }
  for (let i = 0; i < 3; i++) app.wafRules.check(input)
  t.match(app.wafRules.resultCacheStats(), { limit: 1 << 20 })
  t.ok(app.wafRules.resultCacheStats()!.hits > 0, 'the third request is served from the cache')
  const off = await build(t, { mode: 'detect', resultCacheBytes: 0 })
  t.equal(off.app.wafRules.resultCacheStats(), undefined, 'off')
  t.equal(off.app.wafRules.engine.resultCache, undefined)
})

t.test('SecLang rules load through the plugin, with CRS options', async t => {
  const dir = t.testdir({
    'crs.conf': [
      'SecRule &TX:blocking_paranoia_level "@eq 0" "id:901120,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=1"',
      'SecRule TX:blocking_paranoia_level "@ge 3" "id:910001,phase:1,deny,status:418,msg:\'paranoid\'"'
    ].join('\n')
  })
  const { app } = await build(t, { rules: `${dir}/crs.conf`, defaultRules: false, crs: { paranoia: 3 } })
  t.equal(app.wafRules.seclang?.loaded, 2)
  t.equal((await app.inject({ url: '/', headers: UA })).statusCode, 418)
})

t.test('over real HTTP: deny, body phase, malformed requests are recorded, never answered by the rules', async t => {
  const { app, seen } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  const denied = await rawRequest(port, buildRequest('GET', '/search?q=%3Cscript%3E', [['Host', 'shop.example'], ['User-Agent', 'x']]))
  t.match(denied.response, /^HTTP\/1\.1 403 /)
  t.match(denied.response, /"id":"[A-Za-z0-9_-]{27}"/)
  const post = await new Promise<number>((resolve, reject) => {
    const req = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/form', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, res => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', reject)
    req.end('a=1;%20DROP%20TABLE%20users--')
  })
  t.equal(post, 403)
  const bad = await rawRequest(port, buildRequest('GET', '/%zz?q=<script>', [['Host', 'shop.example']]))
  t.match(bad.response, /^HTTP\/1\.1 400 /, 'Fastify answers a malformed URL itself, not the rules')
  const until = Date.now() + 3000
  while (seen.records.length < 3 && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 10))
  const last = seen.records[2]
  t.equal(last?.request.uri, '/%zz?q=<script>')
  t.equal(last?.attacks[0]?.detect_type, 'xss', 'the early request was still checked and recorded')
  t.equal(last?.action, 'deny', 'what the rules decided is recorded even though Fastify answered')
  t.equal(seen.handled, 0)
})

t.test('registered per prefix in encapsulated contexts, each with its own mode', async t => {
  const app = Fastify()
  await app.register(wafSocket, { channels: {} })
  await app.register(async api => {
    await api.register(wafRules, { mode: 'block' })
    api.get('/x', async () => 'api')
  }, { prefix: '/api' })
  await app.register(async site => {
    await site.register(wafRules, { mode: 'detect', defaultRules: true })
    site.get('/x', async () => 'site')
  }, { prefix: '/site' })
  app.get('/plain', async () => 'plain')
  t.teardown(async () => { await app.close() })
  const q = '?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E'
  t.equal((await app.inject({ url: `/api/x${q}`, headers: UA })).statusCode, 403)
  t.equal((await app.inject({ url: `/site/x${q}`, headers: UA })).statusCode, 200)
  t.equal((await app.inject({ url: `/plain${q}`, headers: UA })).statusCode, 200, 'no rules outside the two scopes')
})

t.test('over real HTTP: per-domain policies, exclusions and limits', async t => {
  const { app, seen } = await build(t, {
    policies: { 'lab.example': { mode: 'detect' }, 'off.example': { mode: 'off' } },
    exclusions: [{ ruleId: '100201-100299', target: 'ARGS:html', prefix: '/api' }],
    limits: { args: 2, action: 'log' }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  const get = async (host: string, target: string): Promise<string> =>
    (await rawRequest(port, buildRequest('GET', target, [['Host', host], ['User-Agent', 'Mozilla/5.0']]))).response.split('\r\n')[0]
  t.equal(await get('shop.example', '/search?q=%3Cscript%3E'), 'HTTP/1.1 403 Forbidden')
  t.equal(await get('lab.example:8080', '/search?q=%3Cscript%3E'), 'HTTP/1.1 200 OK', 'detect for this domain')
  t.equal(await get('off.example', '/search?q=%3Cscript%3E'), 'HTTP/1.1 200 OK', 'off for this domain')
  t.equal(await get('shop.example', '/api/x?html=%3Cscript%3E'), 'HTTP/1.1 200 OK', 'target excluded under /api')
  t.equal(await get('shop.example', '/api/x?text=%3Cscript%3E'), 'HTTP/1.1 403 Forbidden')
  t.equal(await get('shop.example', '/search?a=1&b=2&c=%3Cscript%3E'), 'HTTP/1.1 200 OK', 'the third argument is past the limit')
  const until = Date.now() + 3000
  while (seen.ctx.length < 6 && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 10))
  t.same(seen.ctx.map(c => [c.domain, c.policy.mode, c.action]), [
    ['shop.example', 'block', 'deny'], ['lab.example', 'detect', 'log'], ['off.example', 'off', 'pass'],
    ['shop.example', 'block', 'pass'], ['shop.example', 'block', 'deny'], ['shop.example', 'block', 'log']
  ])
  t.same(seen.ctx[5].attacks.map(a => a.ruleId), ['200001'], 'the cut is logged')
})
