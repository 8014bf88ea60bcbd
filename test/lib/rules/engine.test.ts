import t from 'tap'
import { compileRule, RuleEngine, RuleSetBuilder } from '../../../lib/rules/index.js'
import type { EngineOptions, RequestInput, RuleSpec } from '../../../lib/rules/index.js'

/** An engine over rules given as specs (ids auto-numbered from 1 unless given). */
function engine (specs: RuleSpec[], opts: EngineOptions = {}, markers: Record<number, string> = {}): RuleEngine {
  const b = new RuleSetBuilder()
  specs.forEach((s, i) => {
    if (markers[i] !== undefined) b.addMarker(markers[i])
    b.add(compileRule({ id: i + 1, phase: 1, disruptive: 'deny', ...s }))
  })
  if (markers[specs.length] !== undefined) b.addMarker(markers[specs.length])
  return new RuleEngine(b.build(), opts)
}

const H = ['Host', 'shop.example', 'User-Agent', 'Mozilla/5.0']
const get = (url: string, rawHeaders: string[] = H): RequestInput => ({ method: 'GET', url, rawHeaders })
const ids = (e: RuleEngine, input: RequestInput, mode?: 'block' | 'detect' | 'off'): string[] =>
  e.check(input, { mode }).matches.map(m => m.rule.id)

t.test('targets: whole collections, keys, key patterns, exclusions, counts', async t => {
  const e = engine([
    { targets: ['ARGS:q'], operator: { name: 'contains', argument: 'x' } },
    { targets: ['ARGS:/^f/'], operator: { name: 'contains', argument: 'x' } },
    { targets: ['ARGS', '!ARGS:safe', '!ARGS:/^ok_/'], operator: { name: 'contains', argument: 'x' } },
    { targets: ['&ARGS'], operator: { name: 'ge', argument: '3' } },
    { targets: ['&ARGS:dup'], operator: { name: 'eq', argument: '2' } },
    { targets: ['ARGS_NAMES'], operator: { name: 'streq', argument: 'evilname' } }
  ])
  const detect = (url: string): string[] => ids(e, get(url), 'detect')
  t.same(detect('/?q=x'), ['1', '3'])
  t.same(detect('/?foo=x'), ['2', '3'])
  t.same(detect('/?safe=x&ok_1=x'), [], 'excluded by key and by key pattern')
  t.same(detect('/?a=1&b=2&c=3'), ['4'])
  t.same(detect('/?dup=1&dup=2'), ['5'])
  t.same(detect('/?evilname=1'), ['6'])
  t.same(detect('/?Q=x'), ['3'], 'ARGS keys are case-sensitive')
})

t.test('header keys are case-insensitive; the location keeps the received name', async t => {
  const e = engine([{ targets: ['REQUEST_HEADERS:user-agent'], operator: { name: 'contains', argument: 'curl' } }])
  const r = e.check(get('/', ['USER-AGENT', 'curl/8']))
  t.equal(r.attacks[0].location, 'REQUEST_HEADERS:USER-AGENT')
  t.equal(r.attacks[0].payload, 'curl/8')
})

t.test('transformations, cached per value, and negated operators', async t => {
  const e = engine([
    { targets: ['ARGS'], transforms: ['urlDecodeUni', 'lowercase'], operator: { name: 'contains', argument: "'or" } },
    { targets: ['REQUEST_METHOD'], operator: { name: 'rx', argument: '^(?:GET|POST)$', negated: true } },
    { targets: ['ARGS'], transforms: ['lowercase', 'none', 'length'], operator: { name: 'gt', argument: '5' } }
  ])
  t.same(ids(e, get('/?a=%2527OR'), 'detect'), ['1'], 'decoded twice (framework + rule), lowercased')
  t.same(ids(e, { method: 'BREW', url: '/', rawHeaders: H }, 'detect'), ['2'])
  t.same(ids(e, get('/?a=abcdefg'), 'detect'), ['3'], 'none drops earlier transformations')
})

t.test('chains: every link must match; MATCHED_VAR carries across', async t => {
  const e = engine([{
    targets: ['REQUEST_METHOD'],
    operator: { name: 'streq', argument: 'POST' },
    msg: 'chain %{MATCHED_VAR_NAME}=%{MATCHED_VAR}',
    chain: { targets: ['ARGS:cmd'], operator: { name: 'contains', argument: 'rm' }, chain: { targets: ['MATCHED_VAR'], operator: { name: 'contains', argument: '-rf' } } }
  }])
  t.same(ids(e, { method: 'POST', url: '/?cmd=rm%20-rf', rawHeaders: H }), ['1'])
  t.same(ids(e, { method: 'POST', url: '/?cmd=rm%20x', rawHeaders: H }), [], 'third link fails')
  t.same(ids(e, { method: 'GET', url: '/?cmd=rm%20-rf', rawHeaders: H }), [], 'first link fails')
  const m = e.check({ method: 'POST', url: '/?cmd=rm%20-rf', rawHeaders: H }).matches[0]
  t.equal(m.msg, 'chain MATCHED_VAR=rm -rf', 'msg expands after the whole chain')
  t.equal(m.location, 'REQUEST_METHOD', 'the location is the head\'s')
})

t.test('macro keys are read case-insensitively from TX and from caseless collections, case-sensitively from ARGS', async t => {
  const e = engine([
    { targets: [], disruptive: 'pass', log: false, setvars: ['tx.Limit=7', 'tx.seen=%{REQUEST_HEADERS.USER-AGENT}|%{ARGS.Q}|%{ARGS.q}'] },
    { targets: ['ARGS:q'], operator: { name: 'streq', argument: '%{TX.LIMIT}' }, logdata: '%{tx.limit} %{Tx.LiMiT} %{TX.SEEN}', disruptive: 'pass' }
  ])
  const r = e.check(get('/?q=7&Q=upper'))
  const m = r.matches.find(x => x.rule.id === '2')
  t.equal(m?.logdata, '7 7 Mozilla/5.0|upper|7', 'TX and header keys in any case; ARGS keys as written')
  t.notOk(ids(e, get('/?q=8'), 'detect').includes('2'), 'the operator\'s macro is TX.limit: 7, not 8')
})

t.test('setvar (=, +, -, unset), macros, TX targets and anomaly scores', async t => {
  const e = engine([
    { targets: [], disruptive: 'pass', log: false, setvars: ['tx.threshold=5', 'tx.base=%{REQUEST_HEADERS.host}'] },
    { targets: ['ARGS'], operator: { name: 'contains', argument: 'a' }, disruptive: 'pass', setvars: ['tx.inbound_anomaly_score=+5', 'tx.hits=+1'] },
    { targets: ['ARGS'], operator: { name: 'contains', argument: 'b' }, disruptive: 'pass', setvars: ['tx.inbound_anomaly_score=+3', 'tx.down=-2'] },
    { targets: ['TX:inbound_anomaly_score'], operator: { name: 'ge', argument: '%{tx.threshold}' }, logdata: 'score %{tx.inbound_anomaly_score} on %{tx.base}', disruptive: 'deny', status: 406 },
    { targets: [], disruptive: 'pass', log: false, setvars: ['!tx.hits'] },
    { targets: ['&TX:hits'], operator: { name: 'eq', argument: '0' }, disruptive: 'pass', msg: 'unset' }
  ])
  const r = e.check(get('/?x=a&y=ab'))
  t.equal(r.action, 'deny')
  t.equal(r.status, 406)
  const deny = r.matches.find(m => m.rule.id === '4')
  t.equal(deny?.logdata, 'score 13 on shop.example', 'setvar runs once per matched value: 5+5+3')
  t.equal(r.attacks.find(a => a.ruleId === '2')?.score, 10)
  t.equal(r.attacks.find(a => a.ruleId === '3')?.score, 3)
  t.notOk(r.attacks.some(a => a.ruleId === '1'), 'nolog rules leave no entry')
  const tx = e.begin(get('/?x=b'))
  e.phase(tx, 1)
  t.equal(tx.getTx('down'), '-2')
  t.equal(tx.getTx('hits'), undefined)
  t.ok(tx.matches.some(m => m.rule.id === '6'), 'unset is seen by a later count')
})

t.test('capture fills TX.0-TX.9 for later rules', async t => {
  const e = engine([
    { targets: ['ARGS:v'], operator: { name: 'rx', argument: '^(\\d+)-(\\d+)$' }, capture: true, disruptive: 'pass', log: false },
    { targets: ['TX:2'], operator: { name: 'gt', argument: '%{tx.1}' }, msg: 'range %{tx.1}..%{tx.2}' }
  ])
  t.equal(e.check(get('/?v=3-9')).matches[1]?.msg, 'range 3..9')
  t.same(ids(e, get('/?v=9-3')), ['1'])
})

t.test('skipAfter jumps past the marker; skip counts rules', async t => {
  const e = engine([
    { targets: ['ARGS:trusted'], operator: { name: 'streq', argument: '1' }, disruptive: 'pass', skipAfter: 'END' },
    { targets: ['ARGS'], operator: { name: 'contains', argument: 'x' } },
    { targets: ['ARGS:one'], operator: { name: 'streq', argument: '1' }, disruptive: 'pass', skip: 1 },
    { targets: ['ARGS'], operator: { name: 'contains', argument: 'y' } },
    { targets: ['ARGS'], operator: { name: 'contains', argument: 'z' } }
  ], {}, { 2: 'END' })
  t.same(ids(e, get('/?trusted=1&a=x'), 'detect'), ['1'], 'rule 2 skipped')
  t.same(ids(e, get('/?a=x'), 'detect'), ['2'])
  t.same(ids(e, get('/?one=1&a=yz'), 'detect'), ['3', '5'], 'rule 4 skipped')
})

t.test('ctl: ruleRemoveById, ruleRemoveTargetById, ruleRemoveByTag, ruleEngine', async t => {
  const e = engine([
    { targets: ['REQUEST_FILENAME'], operator: { name: 'beginsWith', argument: '/admin' }, disruptive: 'pass', log: false, ctls: ['ruleRemoveById=3-4', 'ruleRemoveTargetById=5;ARGS:html'] },
    { targets: ['REQUEST_FILENAME'], operator: { name: 'beginsWith', argument: '/lab' }, disruptive: 'pass', log: false, ctls: ['ruleEngine=DetectionOnly', 'ruleRemoveByTag=^noisy$'] },
    { targets: ['ARGS'], operator: { name: 'contains', argument: 'x' } },
    { targets: ['ARGS'], operator: { name: 'contains', argument: 'x' }, disruptive: 'pass' },
    { targets: ['ARGS'], operator: { name: 'contains', argument: '<' }, tags: ['noisy'] },
    { targets: ['REQUEST_FILENAME'], operator: { name: 'beginsWith', argument: '/off' }, disruptive: 'pass', log: false, ctls: ['ruleEngine=Off'] },
    { targets: ['ARGS'], operator: { name: 'contains', argument: 'q' } }
  ])
  t.same(ids(e, get('/admin?a=x&html=<b>')), ['1'], 'rules 3-4 removed, rule 5 loses ARGS:html')
  t.same(ids(e, get('/admin?a=<b>')), ['1', '5'], 'other ARGS still checked by rule 5')
  const lab = e.check(get('/lab?a=x&b=<'))
  t.equal(lab.action, 'log', 'DetectionOnly: matched, not denied')
  t.same(lab.matches.map(m => m.rule.id), ['2', '3', '4'], 'rule 5 removed by tag')
  t.same(ids(e, get('/off?a=q')), ['6'], 'ruleEngine=Off stops the rest')
})

t.test('allow ends rule processing; block resolves to the default action', async t => {
  const b = new RuleSetBuilder()
  b.add(compileRule({ id: 1, phase: 1, targets: ['REMOTE_ADDR'], operator: { name: 'streq', argument: '10.0.0.1' }, disruptive: 'allow', log: false }))
  b.add(compileRule({ id: 2, phase: 1, targets: ['ARGS'], operator: { name: 'contains', argument: 'x' }, disruptive: 'block' }))
  b.add(compileRule({ id: 3, phase: 2, targets: ['ARGS'], operator: { name: 'contains', argument: 'y' }, disruptive: 'block' }))
  const pass = new RuleEngine(b.build())
  t.equal(pass.check(get('/?a=x')).action, 'log', 'block without a default action is pass')
  b.setDefaultAction(1, { disruptive: 'deny', status: 418 })
  const deny = new RuleEngine(b.build())
  t.same([deny.check(get('/?a=x')).action, deny.check(get('/?a=x')).status], ['deny', 418])
  t.equal(deny.check({ ...get('/?a=x'), remoteAddress: '10.0.0.1' }).action, 'pass', 'allow skips everything after it')
  t.same(deny.check({ ...get('/?a=y'), remoteAddress: '10.0.0.1' }).matches.map(m => m.rule.id), ['1'], 'and the later phases')
})

t.test('multiMatch tries the value after every transformation', async t => {
  const e = engine([
    { targets: ['ARGS'], transforms: ['urlDecode', 'removeWhitespace'], operator: { name: 'rx', argument: '^a b$' }, multiMatch: true },
    { targets: ['ARGS'], transforms: ['urlDecode', 'removeWhitespace'], operator: { name: 'rx', argument: '^a b$' } }
  ])
  t.same(ids(e, get('/?v=a%2520b'), 'detect'), ['1'], 'an intermediate value matched')
})

t.test('modes: block denies, detect logs everything, off checks nothing', async t => {
  const e = engine([
    { targets: ['ARGS'], operator: { name: 'contains', argument: 'x' } },
    { targets: ['ARGS'], operator: { name: 'contains', argument: 'x' }, status: 451 }
  ], { denyStatus: 499 })
  const block = e.check(get('/?a=x'))
  t.same([block.action, block.status, block.matches.length], ['deny', 499, 1], 'first deny interrupts')
  const detect = e.check(get('/?a=x'), { mode: 'detect' })
  t.same([detect.action, detect.status, detect.matches.length], ['log', undefined, 2])
  t.same(detect.attacks.map(a => a.action), ['log', 'log'], 'entries say what was done: logged')
  t.same(detect.attacks.map(a => a.disruptive), ['deny', 'deny'], 'and what the rule would have done')
  t.same(block.attacks.map(a => [a.action, a.disruptive]), [['deny', 'deny']])
  const off = e.check(get('/?a=x'), { mode: 'off' })
  t.same([off.action, off.attacks.length], ['pass', 0])
  t.equal(new RuleEngine(e.ruleSet, { mode: 'detect' }).check(get('/?a=x')).action, 'log', 'the engine default mode')
})

t.test('exclusions by rule id, target and path prefix', async t => {
  const specs: RuleSpec[] = [
    { targets: ['ARGS'], operator: { name: 'contains', argument: '<' } },
    { targets: ['ARGS'], operator: { name: 'contains', argument: "'" } }
  ]
  const e = engine(specs, {
    mode: 'detect',
    exclusions: [
      { ruleId: 1, target: 'ARGS:body', prefix: '/cms' },
      { ruleId: '2', prefix: '/search' },
      { ruleId: '1-2', prefix: '/raw/' }
    ]
  })
  t.same(ids(e, get('/cms/page?body=<b>')), [], 'target excluded under the prefix')
  t.same(ids(e, get('/cms/page?title=<b>')), ['1'], 'other targets still checked')
  t.same(ids(e, get('/cmsx?body=<b>')), ['1'], 'prefixes match whole segments')
  t.same(ids(e, get("/search?q=o'neil")), [])
  t.same(ids(e, get("/other?q=o'neil")), ['2'])
  t.same(ids(e, get("/raw/x?a=<'")), [], 'id range')
  t.throws(() => engine(specs, { exclusions: [{ ruleId: 'abc' }] }), /option "exclusions\[0\]\.ruleId"/)
  t.throws(() => engine(specs, { exclusions: [{ ruleId: 1, prefix: 'x' }] }), /option "exclusions\[0\]\.prefix"/)
  t.throws(() => engine(specs, { exclusions: [{ ruleId: 1, target: 'NOPE:x' }] }), /option "exclusions\[0\]\.target"/)
})

t.test('limits: a cut is logged with limitAction log, and denied by default in block mode', async t => {
  const specs: RuleSpec[] = [{ targets: ['ARGS', 'REQUEST_BODY'], operator: { name: 'contains', argument: 'evil' }, phase: 2 }]
  const e = engine(specs, { limits: { args: 3, valueBytes: 10, bodyBytes: 20 }, limitAction: 'log' })
  const many = e.check(get('/?a=1&b=2&c=3&d=evil'))
  t.same(many.matches, [], 'the fourth argument was not inspected')
  t.same(many.attacks.map(a => [a.ruleId, a.location, a.payload, a.action]), [['200001', 'ARGS_GET', '4', 'log']])
  t.equal(many.action, 'log', 'a cut is never silent')
  const long = e.check(get(`/?a=${'x'.repeat(20)}evil`))
  t.same(long.attacks.map(a => [a.ruleId, a.location, a.payload]), [['200002', 'ARGS_GET:a', '24']])
  const body = e.check({ method: 'POST', url: '/', rawHeaders: H, body: { raw: 'y'.repeat(30) } })
  t.same(body.attacks.map(a => [a.ruleId, a.location]), [['200003', 'REQUEST_BODY']])
  const post = e.check({ method: 'POST', url: '/?a=1&b=2', rawHeaders: H, body: { form: 'c=3&d=4' } })
  t.same(post.cuts.map(c => [c.kind, c.location, c.size]), [['args', 'ARGS_POST', 4]], 'query and body count together')
  const strict = engine(specs, { limits: { args: 1 }, limitAction: 'deny', denyStatus: 413 })
  const r = strict.check(get('/?a=1&b=2'))
  t.same([r.action, r.status, r.attacks[0].action], ['deny', 413, 'deny'])
  const byDefault = engine(specs, { limits: { args: 1, bodyBytes: 20 } })
  t.same([byDefault.check(get('/?a=1&b=2')).action, byDefault.check(get('/?a=1&b=2'), { mode: 'detect' }).action], ['deny', 'log'], 'fails closed in block mode by default; detect only logs')
  // No rule reads REQUEST_BODY: the cut is recorded all the same.
  const argsOnly = engine([{ targets: ['ARGS'], operator: { name: 'contains', argument: 'evil' }, phase: 2 }], { limits: { bodyBytes: 20 } })
  const cut = argsOnly.check({ method: 'POST', url: '/', rawHeaders: H, body: { form: 'a=' + 'y'.repeat(30) } })
  t.same([cut.action, cut.attacks.map(a => [a.ruleId, a.location, a.payload])], ['deny', [['200003', 'REQUEST_BODY', '32']]])
})

t.test('bodies: urlencoded, JSON flattened with dotted keys, phase-1 rules re-run on the body', async t => {
  const e = engine([
    { targets: ['ARGS'], operator: { name: 'contains', argument: 'evil' }, alsoBody: true },
    { targets: ['ARGS_POST:user.roles.1'], operator: { name: 'streq', argument: 'admin' }, phase: 2 },
    { targets: ['REQUEST_BODY'], operator: { name: 'contains', argument: '"roles"' }, phase: 2, disruptive: 'pass' }
  ], { mode: 'detect' })
  const form = e.check({ method: 'POST', url: '/?q=ok', rawHeaders: H, body: { form: 'a=1&b=evil+thing' } })
  t.same(form.attacks.map(a => [a.ruleId, a.location, a.payload]), [['1', 'ARGS_POST:b', 'evil thing']])
  const json = e.check({ method: 'POST', url: '/', rawHeaders: H, body: { json: { user: { name: 'évil', roles: ['user', 'admin'] } } } })
  t.same(json.matches.map(m => [m.rule.id, m.location]), [['2', 'ARGS_POST:user.roles.1'], ['3', 'REQUEST_BODY']])
  const q = e.check({ method: 'POST', url: '/?q=evil', rawHeaders: H, body: { form: 'a=1' } })
  t.same(q.matches.map(m => m.location), ['ARGS:q'], 'a query argument is matched once, in phase 1')
  const utf8 = e.check({ method: 'POST', url: '/', rawHeaders: H, body: { json: { k: 'évil' } } })
  t.same(utf8.matches, [], 'JSON strings become bytes: é is two bytes, "évil" does not contain "evil"')
  const deep: Record<string, unknown> = {}
  let cur = deep
  for (let i = 0; i < 20000; i++) cur = (cur.a = {}) as Record<string, unknown>
  cur.v = 'evil'
  const d = e.check({ method: 'POST', url: '/', rawHeaders: H, body: { json: deep } })
  t.equal(d.matches.length, 1, 'deep JSON does not overflow the stack')
  t.same(d.cuts, [{ kind: 'body', location: 'REQUEST_BODY', size: -1 }], 'a body too deep to re-serialize is a logged cut')
})

t.test('payloads are readable and windowed around the match', async t => {
  const e = engine([{ targets: ['ARGS'], operator: { name: 'rx', argument: 'union select' } }], { maxPayload: 32 })
  const long = e.check(get(`/?q=${'a'.repeat(500)}%20union%20select%201`))
  t.equal(long.attacks[0].payload.length, 32)
  t.match(long.attacks[0].payload, /union select/)
  const utf8 = engine([{ targets: ['ARGS'], operator: { name: 'contains', argument: 'x' } }]).check(get('/?q=caf%C3%A9x'))
  t.equal(utf8.attacks[0].payload, 'caféx', 'bytes are shown as UTF-8 text')
})

t.test('the prefilter never changes results', async t => {
  const specs: RuleSpec[] = [
    { targets: ['ARGS', 'REQUEST_HEADERS:User-Agent'], transforms: ['urlDecodeUni'], operator: { name: 'rx', argument: '(?i)^union' } },
    { targets: ['ARGS'], transforms: ['urlDecodeUni'], operator: { name: 'rx', argument: 'select$' } },
    { targets: ['ARGS'], transforms: ['urlDecodeUni'], operator: { name: 'rx', argument: '\\bor\\b' } },
    { targets: ['ARGS', '!ARGS:skip'], transforms: ['urlDecodeUni'], operator: { name: 'pm', argument: 'sleep benchmark' } },
    { targets: ['ARGS_NAMES'], transforms: ['urlDecodeUni'], operator: { name: 'beginsWith', argument: '__' } },
    { targets: ['ARGS'], transforms: ['urlDecodeUni'], operator: { name: 'rx', argument: '\\Aab' } },
    { targets: ['ARGS'], transforms: ['urlDecodeUni'], operator: { name: 'rx', argument: '[\\r\\n]' } }
  ]
  const b = new RuleSetBuilder()
  specs.forEach((s, i) => b.add(compileRule({ id: i + 1, phase: 1, disruptive: 'deny', ...s })))
  const fast = new RuleEngine(b.build(), { mode: 'detect' })
  const slow = new RuleEngine(b.build({ prefilter: false }), { mode: 'detect' })
  const members = (fast.ruleSet.phases[1]?.items ?? []).filter(x => 'rule' in x && x.group >= 0).map(x => 'rule' in x ? x.rule.id : '')
  t.same(members, ['1', '2', '3', '4', '5', '6', '7'], 'every rule is prefiltered (a set scans \\A as a multi-line ^; [\\r\\n] on values joined with U+FFFF)')
  const words = ['union', 'select', 'or', 'sleep', '__x', 'ab', '%0a', 'a', ' ', '%20', 'skip', 'x']
  let seed = 7
  const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n
  for (let i = 0; i < 400; i++) {
    const args = Array.from({ length: 1 + rand(4) }, () => `${words[rand(words.length)]}=${Array.from({ length: rand(4) }, () => words[rand(words.length)]).join('')}`)
    const input = get(`/?${args.join('&')}`, ['User-Agent', words[rand(words.length)]])
    t.same(ids(fast, input), ids(slow, input), input.url)
  }
})

t.test('limits given as undefined keep their defaults', async t => {
  const e = engine([{ targets: ['ARGS'], operator: { name: 'contains', argument: 'zzz' } }], { limits: { args: undefined, valueBytes: undefined, bodyBytes: 5 } })
  t.same(e.limits, { args: 1000, valueBytes: 65536, bodyBytes: 5 })
  t.same(e.check(get('/?a=1&b=2')).cuts, [])
})
