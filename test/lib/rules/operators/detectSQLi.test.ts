import t from 'tap'
import { op, TestContext } from '../match-context.js'
import { loadRules, RuleEngine, RuleLoadError } from '../../../../lib/rules/index.js'
import { detectSQLi } from '../../../../lib/rules/libinjection/index.js'
import { join } from 'node:path'

t.test('detectSQLi: libinjection on the value, the fingerprint to TX.0 with capture', async t => {
  const o = op('detectSQLi', '')
  t.equal(o.prefilter, undefined, 'a detector joins no regex prefilter')
  t.notOk(o.match('hello world', new TestContext()))
  const ctx = new TestContext(true)
  t.ok(o.match("1' or 1=1--", ctx))
  t.equal(ctx.tx.get('0'), 's&1c', 'TX.0 is the fingerprint, as ModSecurity sets it')
  t.equal(ctx.matched, "1' or 1=1--", 'the matched text is the value')
  const plain = new TestContext(false)
  t.ok(o.match("1' or 1=1--", plain))
  t.equal(plain.tx.size, 0, 'without capture TX is left alone')
})

t.test('detectSQLi reads a value as bytes, a char per byte', async t => {
  const o = op('detectSQLi', '')
  // 0xA0 is whitespace to libinjection: as one byte here, as the rule engine holds values
  const value = '1\xa0union\xa0select\xa01,2--'
  t.equal(o.match(value, new TestContext()), detectSQLi(Buffer.from(value, 'latin1')) !== null)
  t.ok(o.match(value, new TestContext()))
})

t.test('detectSQLi takes no argument', async t => {
  t.throws(() => op('detectSQLi', 'x'), /detectSQLi takes no argument/)
  t.doesNotThrow(() => op('detectsqli', ' '), 'names are case-insensitive, blank arguments fine')
})

t.test('detectSQLi in a YAML rule, with no pattern', async t => {
  const dir = t.testdir({
    'r.yaml': `
- id: 1
  msg: SQLi by libinjection
  detect_type: sqli
  targets: [ARGS]
  operator: detectSQLi
  capture: true
`,
    'bad.yaml': `
- id: 2
  targets: [ARGS]
  operator: detectSQLi
  pattern: "select"
`
  })
  const engine = new RuleEngine((await loadRules(join(dir, 'r.yaml'))).build(), { mode: 'block' })
  const hit = engine.check({ method: 'GET', url: "/?q=1'%20or%201=1--", rawHeaders: ['Host', 'x'] })
  t.equal(hit.action, 'deny')
  t.same(hit.attacks.map(a => a.ruleId), ['1'])
  t.equal(engine.check({ method: 'GET', url: '/?q=a%20quiet%20sentence', rawHeaders: ['Host', 'x'] }).action, 'pass')
  const err = await loadRules(join(dir, 'bad.yaml')).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof RuleLoadError, 'a pattern given to detectSQLi is a load error')
  t.match(String(err), /bad\.yaml.*rule 2.*detectSQLi takes no argument/)
})
