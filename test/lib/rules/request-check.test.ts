import t from 'tap'
import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { buildEngine } from '../../../lib/rules/build-engine.js'
import { RequestCheck } from '../../../lib/rules/request-check.js'
import { createContext } from '../../../lib/lifecycle/context.js'
import { inputFromIncoming } from '../../../lib/rules/node-input.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A request as Node's HTTP parser would hand it over: a head, and its body as a stream. */
function formRequest (body: Buffer): IncomingMessage {
  const req = new IncomingMessage(new Socket())
  req.method = 'POST'
  req.url = '/comment'
  req.httpVersion = '1.1'
  req.rawHeaders = ['Host', 'shop.example', 'Content-Type', 'application/x-www-form-urlencoded', 'Content-Length', String(body.length)]
  req.headers = { host: 'shop.example', 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) }
  return req
}

async function drain (s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

t.test('the body copy is kept for phase 2 and let go after it', async t => {
  const { engine } = await buildEngine({ mode: 'block' })
  const body = Buffer.from('name=jo&text=' + encodeURIComponent('<script>alert(document.cookie)</script>'))
  const req = formRequest(body)
  const ctx = createContext(req)
  const check = new RequestCheck(engine, req, ctx, false, false)
  t.equal(check.deny, null, 'the head alone is clean')
  const passed = await drain(check.watchBody(Readable.from([body]), 'POST', req.headers))
  t.same(passed, body, 'the framework reads the body unchanged')
  t.equal(check.capture?.size, body.length, 'and a copy is kept as it passes')
  check.rawForm = body.toString('latin1')
  // What the framework parsed: the raw form above and its fields.
  const stop = check.bodyPhase(ctx, { method: 'POST', headers: req.headers, body: { name: 'jo' } }, true)
  t.equal(stop?.status, 403, 'phase 2 read the body: the XSS in it is denied')
  t.ok(ctx.attacks.some(a => a.location.includes('text')), 'found in the form field')
  t.equal(check.capture, null, 'the copy is let go once phase 2 ran: an in-flight request does not hold its body twice')
  t.equal(check.rawForm, null, 'and so is the raw form text')
  t.equal(check.pending, false)
  t.equal(check.bodyPhase(ctx, { method: 'POST', headers: req.headers, body: undefined }, false), undefined, 'phase 2 runs once')
})

/** A request with a head and, for a POST, a urlencoded body, as Node hands it over. */
function incoming (method: string, url: string, headers: string[], form?: string): IncomingMessage {
  const req = new IncomingMessage(new Socket())
  req.method = method
  req.url = url
  req.httpVersion = '1.1'
  const raw = form === undefined ? headers : [...headers, 'Content-Type', 'application/x-www-form-urlencoded', 'Content-Length', String(form.length)]
  req.rawHeaders = raw
  req.headers = {}
  for (let i = 0; i < raw.length; i += 2) req.headers[raw[i].toLowerCase()] = raw[i + 1]
  return req
}

t.test('the context after both phases is what the engine finds, whether or not phase 2 adds anything', async t => {
  // After phase 2 the context is settled again only when phase 2 changed the outcome (a match,
  // a cut, a deny, the bot flag or the mode): each case below compares it with engine.check.
  const dir = mkdtempSync(join(tmpdir(), 'waf-request-check-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const conf = join(dir, 'phase2.conf')
  writeFileSync(conf, [
    'SecRuleEngine On',
    'SecRule ARGS_POST:mode "@streq lab" "id:900001,phase:2,pass,nolog,ctl:ruleEngine=DetectionOnly"',
    'SecRule ARGS_POST:probe "@streq yes" "id:900002,phase:2,pass,log,msg:\'probe\'"',
    'SecRule ARGS "@streq twice" "id:900003,phase:2,pass,log,msg:\'an argument read again in phase 2\'"',
    ''
  ].join('\n'))
  const browser = ['Host', 'shop.example', 'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0']
  const bare = ['Host', 'shop.example']
  const xss = 'text=' + encodeURIComponent('<script>alert(1)</script>')
  // The last field: a rule that must be among the entries (what the body or the query gave phase 2).
  const cases: Array<[string, string, string, string[], string | undefined, string?]> = [
    ['a clean GET', 'GET', '/products?id=42', browser, undefined],
    ['a GET without User-Agent (a phase-1 match only)', 'GET', '/products?id=42&sort=price', bare, undefined],
    ['a GET with an attack in its query', 'GET', '/q?x=' + encodeURIComponent("1' union select 2"), bare, undefined],
    ['a GET whose query argument a phase-2 rule reads', 'GET', '/q?x=twice', browser, undefined, '900003'],
    ['a form whose body argument a phase-2 rule reads', 'POST', '/c', browser, 'y=twice', '900003'],
    ['a clean form', 'POST', '/c', bare, 'name=jo&city=paris'],
    ['an XSS in the body after a phase-1 match', 'POST', '/c', bare, xss],
    ['a phase-2 match that only logs', 'POST', '/c', bare, 'probe=yes', '900002'],
    ['a phase-2 rule that turns the mode to detect, then an XSS', 'POST', '/c', bare, 'mode=lab&' + xss],
    ['a body over the limit', 'POST', '/c', bare, 'a=' + 'x'.repeat(300)]
  ]
  for (const mode of ['block', 'detect'] as const) {
    const { engine } = await buildEngine({ mode, rules: conf, limits: { bodyBytes: 256 } })
    for (const [name, method, url, headers, form, mustFind] of cases) {
      const req = incoming(method, url, headers, form)
      const ctx = createContext(req)
      ctx.policy = { ...ctx.policy, mode }
      const check = new RequestCheck(engine, req, ctx, false, false)
      if (check.deny === null) {
        if (form !== undefined) check.rawForm = form
        check.bodyPhase(ctx, { method, headers: req.headers, body: form === undefined ? undefined : {} }, true)
      }
      const expected = engine.check({ ...inputFromIncoming(req, ctx.clientIp), ...(form === undefined ? {} : { body: { form } }) }, { mode })
      t.same(ctx.attacks, expected.attacks, `${mode}, ${name}: the attack entries`)
      t.equal(ctx.action, expected.action, `${mode}, ${name}: the action (${expected.action})`)
      t.equal(ctx.bot, expected.bot, `${mode}, ${name}: the bot flag`)
      if (mustFind !== undefined) t.ok(ctx.attacks.some(a => a.ruleId === mustFind), `${mode}, ${name}: rule ${mustFind} found it`)
    }
  }
})

t.test('a GET or HEAD without a body under the default rules needs no phase 2, and every other request still gets it', async t => {
  // The default rules' phase 2 holds only their runs over the body: a request that announces no
  // body and whose body the framework never reads has nothing for it, so the check is done at
  // once. Each case is compared with engine.check, which always runs phase 2.
  const { engine } = await buildEngine({ mode: 'block' })
  const bare = ['Host', 'shop.example']
  const xss = encodeURIComponent('<script>alert(1)</script>')
  const cases: Array<[string, IncomingMessage, boolean, string | undefined]> = []
  for (const method of ['GET', 'HEAD']) {
    cases.push([`a clean ${method}`, incoming(method, '/products?id=42&sort=price', bare), false, undefined])
    cases.push([`a ${method} with an attack in its query`, incoming(method, '/q?x=' + xss, bare), false, undefined])
    cases.push([`a ${method} that announces an empty body`, incoming(method, '/p', [...bare, 'Content-Length', '0']), false, undefined])
  }
  const getWithBody = incoming('GET', '/search', bare, 'text=' + xss)
  cases.push(['a GET with an XSS in its body (the framework does not read it: the check does)', getWithBody, true, 'text=' + xss])
  cases.push(['a GET with a chunked body', incoming('GET', '/search', [...bare, 'Content-Type', 'application/x-www-form-urlencoded', 'Transfer-Encoding', 'chunked']), true, 'text=' + xss])
  cases.push(['a POST without a body', incoming('POST', '/c', bare), true, undefined])
  cases.push(['a DELETE without a body', incoming('DELETE', '/c/1', bare), true, undefined])
  for (const [name, req, pending, body] of cases) {
    const ctx = createContext(req)
    const check = new RequestCheck(engine, req, ctx, false, false)
    t.equal(check.pending, pending, `${name}: phase 2 ${pending ? 'still to run' : 'done at once'}`)
    if (check.deny === null && check.pending) {
      if (body !== undefined) await drain(check.watchBody(Readable.from([Buffer.from(body)]), req.method as string, req.headers))
      check.bodyPhase(ctx, { method: req.method as string, headers: req.headers, body: undefined }, true)
    }
    const expected = engine.check({ ...inputFromIncoming(req, ctx.clientIp), ...(body === undefined ? {} : { body: { form: body } }) }, { mode: 'block' })
    t.same(ctx.attacks, expected.attacks, `${name}: the attack entries`)
    t.equal(ctx.action, expected.action, `${name}: the action (${expected.action})`)
    t.equal(ctx.bot, expected.bot, `${name}: the bot flag`)
  }
  t.ok(cases.some(([, req]) => req === getWithBody), 'the GET with a body is among them')

  // A rule set with a phase-2 rule that reads more than the body: a GET still gets phase 2.
  const dir = mkdtempSync(join(tmpdir(), 'waf-request-check-idle-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const conf = join(dir, 'phase2.conf')
  writeFileSync(conf, 'SecRuleEngine On\nSecRule REQUEST_HEADERS:X-Probe "@streq yes" "id:900010,phase:2,deny,log,msg:\'probe\'"\n')
  const withPhase2 = await buildEngine({ mode: 'block', rules: conf, defaultRules: false })
  const probe = incoming('GET', '/', [...bare, 'X-Probe', 'yes'])
  const ctx = createContext(probe)
  const check = new RequestCheck(withPhase2.engine, probe, ctx, false, false)
  t.equal(check.pending, true, 'a phase-2 rule on the headers: phase 2 still to run for a GET')
  t.equal(check.bodyPhase(ctx, { method: 'GET', headers: probe.headers, body: undefined }, true)?.status, 403, 'and it denies')
})

t.test('a request of any method that has no body skips phase 2 under rules whose phase 2 reads only bodies; a body, or another phase-2 rule, still gets it', async t => {
  // Decided at the body phase, when the framework has parsed what it had: no body kept, none
  // parsed (an app's hook may have set one), no raw form. Each case is compared with
  // engine.check, which always runs phase 2; the engine's phase calls say whether it ran.
  const { engine } = await buildEngine({ mode: 'block' })
  const phases: number[] = []
  const phase = engine.phase.bind(engine)
  engine.phase = (tx, p) => { phases.push(p); phase(tx, p) }
  const bare = ['Host', 'shop.example']
  const sqli = '/q?x=' + encodeURIComponent("1' union select 2")
  const xss = '<script>alert(document.cookie)</script>'
  const cases: Array<[string, IncomingMessage, unknown, boolean]> = []
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
    cases.push([`a ${method} without a body`, incoming(method, '/products?id=42&sort=price', bare), undefined, false])
    cases.push([`a ${method} with Content-Length: 0`, incoming(method, '/c', [...bare, 'Content-Length', '0']), undefined, false])
    cases.push([`a ${method} with an attack in its query and no body`, incoming(method, sqli, bare), undefined, false])
    cases.push([`a ${method} whose body a hook set (an XSS in it)`, incoming(method, '/c', bare), { text: xss }, true])
  }
  for (const [name, req, body, phase2] of cases) {
    const ctx = createContext(req)
    const check = new RequestCheck(engine, req, ctx, false, false)
    t.equal(check.pending, true, `${name}: phase 2 is decided at the body phase`)
    phases.length = 0
    if (check.deny === null) check.bodyPhase(ctx, { method: req.method as string, headers: req.headers, body }, true)
    t.equal(phases.includes(2), phase2 && check.deny === null, `${name}: phase 2 ${phase2 ? 'ran' : 'skipped'}`)
    if (check.deny === null) t.equal(check.pending, false, `${name}: and is not pending any more`)
    const expected = engine.check({ ...inputFromIncoming(req, ctx.clientIp), ...(body === undefined ? {} : { body: { json: body } }) }, { mode: 'block' })
    t.same(ctx.attacks, expected.attacks, `${name}: the attack entries`)
    t.equal(ctx.action, expected.action, `${name}: the action (${expected.action})`)
    t.equal(ctx.bot, expected.bot, `${name}: the bot flag`)
  }
  t.ok(cases.some(([, , body]) => body !== undefined), 'a body set by a hook is denied (above), not skipped')

  // The framework answered first (parsed false): the bytes kept are the body, or there are none.
  const kept = incoming('POST', '/c', bare, 'text=' + encodeURIComponent(xss))
  const keptCtx = createContext(kept)
  const keptCheck = new RequestCheck(engine, kept, keptCtx, false, false)
  await drain(keptCheck.watchBody(Readable.from([Buffer.from('text=' + encodeURIComponent(xss))]), 'POST', kept.headers))
  phases.length = 0
  keptCheck.bodyPhase(keptCtx, { method: 'POST', headers: kept.headers, body: undefined }, false)
  t.same(phases, [2], 'the bytes kept of a body the framework did not parse: phase 2 runs on them')
  t.equal(keptCtx.action, 'deny', 'and finds the XSS (recorded: the framework answered first)')

  // A rule set with a phase-2 rule that reads more than the body: a bodyless POST still gets phase 2.
  const dir = mkdtempSync(join(tmpdir(), 'waf-request-check-bodyless-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const conf = join(dir, 'phase2.conf')
  writeFileSync(conf, 'SecRuleEngine On\nSecRule REQUEST_HEADERS:X-Probe "@streq yes" "id:900011,phase:2,deny,log,msg:\'probe\'"\n')
  const withPhase2 = await buildEngine({ mode: 'block', rules: conf, defaultRules: false })
  for (const method of ['POST', 'OPTIONS']) {
    const probe = incoming(method, '/', [...bare, 'X-Probe', 'yes'])
    const ctx = createContext(probe)
    const check = new RequestCheck(withPhase2.engine, probe, ctx, false, false)
    t.equal(check.bodyPhase(ctx, { method, headers: probe.headers, body: undefined }, true)?.status, 403, `a phase-2 rule on the headers: a ${method} without a body is still denied in phase 2`)
  }
})
