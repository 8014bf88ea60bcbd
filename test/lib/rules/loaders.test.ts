import t from 'tap'
import type { Test } from 'tap'
import { writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadRules, RuleLoadError, RuleEngine, registerRuleLoader, compileRule } from '../../../lib/rules/index.js'

const RULE = `- id: 100101
  msg: SQL injection - UNION SELECT
  detect_type: sqli
  severity: critical
  phase: 1
  targets: [ARGS, REQUEST_URI, REQUEST_HEADERS:User-Agent, REQUEST_COOKIES]
  transforms: [urlDecodeUni, lowercase]
  operator: rx
  pattern: "union\\\\s+(all\\\\s+)?select"
  action: deny
`

async function loadError (t: Test, files: Record<string, string>, target?: string): Promise<RuleLoadError> {
  const dir = t.testdir(files)
  try {
    await loadRules(target === undefined ? dir : join(dir, target))
  } catch (err) {
    if (err instanceof RuleLoadError) return err
    throw err
  }
  throw new Error('expected a RuleLoadError')
}

t.test('the DESIGN.md example loads and runs', async t => {
  const dir = t.testdir({ 'a.yaml': RULE })
  const builder = await loadRules(dir)
  const engine = new RuleEngine(builder.build())
  const r = engine.check({ method: 'GET', url: '/p?q=1%27%20UNION%20SELECT%201', rawHeaders: ['Host', 'x'] })
  t.equal(r.action, 'deny')
  t.equal(r.attacks[0].ruleId, '100101')
  t.equal(r.attacks[0].location, 'ARGS:q')
  t.equal(r.attacks[0].payload, "1' UNION SELECT 1")
  const rule = builder.build().byId.get('100101')
  t.equal(rule?.line, 1)
  t.equal(rule?.phase, 1)
  t.equal(rule?.severity, 'critical')
})

t.test('JSON files, "rules:" objects, and folders in name order', async t => {
  const dir = t.testdir({
    'b.json': JSON.stringify([{ id: 2, targets: ['ARGS'], pattern: 'b' }]),
    'a.yml': 'rules:\n  - id: 1\n    targets: [ARGS]\n    pattern: a\n',
    'notes.txt': 'ignored: not a rule file'
  })
  const set = (await loadRules(dir)).build()
  t.same(set.rules.map(r => r.id), ['1', '2'])
  t.same(set.rules.map(r => r.file.split('/').pop()), ['a.yml', 'b.json'])
})

t.test('rule file errors name the file, the rule id and the field', async t => {
  const cases: Array<[string, string, RegExp, string | undefined, number | undefined]> = [
    ['unknown target', '- id: 7\n  targets: [ARGZ]\n  pattern: x\n', /unknown target "ARGZ"/, 'targets', 1],
    ['unknown operator', '- id: 7\n  targets: [ARGS]\n  operator: regex\n  pattern: x\n', /unknown operator "regex"/, 'operator', 1],
    ['unknown transformation', '- id: 7\n  targets: [ARGS]\n  transforms: [urlDecode, rot13]\n  pattern: x\n', /unknown transformation "rot13"/, 'transforms', 1],
    ['missing id', '- targets: [ARGS]\n  pattern: x\n', /missing id/, 'id', 1],
    ['backreference', '- id: 7\n  targets: [ARGS]\n  pattern: "(a)\\\\1"\n', /invalid escape/, 'pattern', 1],
    ['lookahead', '- id: 7\n  targets: [ARGS]\n  pattern: "a(?=b)"\n', /perl operator/, 'pattern', 1],
    ['lookbehind', '- id: 7\n  targets: [ARGS]\n  pattern: "(?<!a)b"\n', /perl operator/, 'pattern', 1],
    ['unknown field', '- id: 7\n  targets: [ARGS]\n  pattern: x\n  actoin: deny\n', /unknown field/, 'actoin', 1],
    ['bad action', '- id: 7\n  targets: [ARGS]\n  pattern: x\n  action: block\n', /must be one of deny, log, pass/, 'action', 1],
    ['bad detect_type', '- id: 7\n  targets: [ARGS]\n  pattern: x\n  detect_type: evil\n', /must be one of/, 'detect_type', 1],
    ['bad severity', '- id: 7\n  targets: [ARGS]\n  pattern: x\n  severity: huge\n', /unknown severity "huge"/, 'severity', 1],
    ['no targets', '- id: 7\n  pattern: x\n', /at least one target/, 'targets', 1],
    ['no pattern', '- id: 7\n  targets: [ARGS]\n', /missing/, 'pattern', 1],
    ['bad phase', '- id: 7\n  targets: [ARGS]\n  pattern: x\n  phase: 5\n', /must be 1 .*, 2 .*, 3 .* or 4/, 'phase', 1],
    ['response variable too early', '- id: 7\n  targets: [RESPONSE_BODY]\n  pattern: x\n  phase: 3\n', /RESPONSE_BODY has a value from phase 4 on; this rule is phase 3/, 'targets', 1],
    ['non-numeric id', '- id: abc\n  targets: [ARGS]\n  pattern: x\n', /positive whole numbers/, 'id', 1],
    ['bad key regex', '- id: 7\n  targets: ["ARGS:/(?=x)/"]\n  pattern: x\n', /invalid key pattern/, 'targets', 1],
    ['status on a log rule', '- id: 7\n  targets: [ARGS]\n  pattern: x\n  action: log\n  status: 400\n', /only a deny/, 'status', 1],
    ['bad setvar', '- id: 7\n  targets: [ARGS]\n  pattern: x\n  setvar: [ip.score=1]\n', /only the TX collection/, 'setvar', 1],
    ['bad chain link field', '- id: 7\n  targets: [ARGS]\n  pattern: x\n  chain:\n    targets: [ARGS]\n    pattern: y\n    msg: no\n', /not allowed in a chain link/, 'chain.msg', 1],
    ['chain link error', '- id: 7\n  targets: [ARGS]\n  pattern: x\n  chain:\n    targets: [NOPE]\n    pattern: y\n', /unknown target/, 'chain.targets', 1]
  ]
  for (const [name, text, reason, field, line] of cases) {
    const err = await loadError(t, { 'r.yaml': text })
    t.match(err.message, /r\.yaml/, `${name}: names the file`)
    t.match(err.message, reason, `${name}: gives the reason`)
    t.equal(err.field, field, `${name}: field`)
    if (name === 'non-numeric id') {
      t.equal(err.ruleId, 'abc')
    } else if (name !== 'missing id') {
      t.equal(err.ruleId, '7', `${name}: rule id`)
      t.match(err.message, /rule 7:/, `${name}: the message names the rule`)
    } else {
      t.match(err.message, /rule \(no id\)/)
    }
    t.equal(err.line, line, `${name}: line`)
  }
})

t.test('the line points at the rule in a long file', async t => {
  const good = '- id: 1\n  targets: [ARGS]\n  pattern: a\n'
  const bad = '- id: 2\n  targets: [ARGS]\n  pattern: "(?=b)"\n'
  const err = await loadError(t, { 'r.yaml': good + good.replace('1', '3') + bad })
  t.equal(err.line, 7)
  t.match(err.message, /r\.yaml:7: rule 2: pattern:/)
})

t.test('duplicate ids, also across files, name both places', async t => {
  const err = await loadError(t, {
    'a.yaml': '- id: 5\n  targets: [ARGS]\n  pattern: a\n',
    'b.json': JSON.stringify([{ id: 5, targets: ['ARGS'], pattern: 'b' }])
  })
  t.equal(err.field, 'id')
  t.equal(err.ruleId, '5')
  t.match(err.message, /b\.json: rule 5: id: duplicate id, first defined in .*a\.yaml:1/)
})

t.test('syntax errors in YAML and JSON name the file', async t => {
  const y = await loadError(t, { 'r.yaml': '- id: 1\n  targets: [ARGS\n' })
  t.match(y.message, /r\.yaml/)
  t.equal(y.field, 'yaml')
  const j = await loadError(t, { 'r.json': '[{"id": 1,' })
  t.match(j.message, /r\.json/)
  t.equal(j.field, 'json')
  const dup = await loadError(t, { 'r.yaml': '- id: 1\n  id: 2\n  targets: [ARGS]\n  pattern: a\n' })
  t.equal(dup.field, 'yaml', 'a duplicate key is an error, not a silent overwrite')
  const shape = await loadError(t, { 'r.yaml': 'id: 1\n' })
  t.match(shape.message, /a rule file holds a list/)
  const item = await loadError(t, { 'r.yaml': '- 42\n' })
  t.match(item.message, /each rule must be an object/)
})

t.test('missing paths and unknown file types are errors', async t => {
  const dir = t.testdir({ 'x.ini': 'a=b', 'r.conf': 'SecRule ARGS "@rx a" "id:1"' })
  await t.rejects(loadRules(join(dir, 'nope')), /no such file or folder/)
  await t.rejects(loadRules(join(dir, 'x.ini')), /unknown rule file type "\.ini"/)
})

t.test('other formats plug in through registerRuleLoader', async t => {
  const dir = t.testdir({ 'r.lines': 'ARGS foo\nARGS bar\n' })
  mkdirSync(join(dir, 'sub'))
  writeFileSync(join(dir, 'sub', 'x.lines'), 'ARGS baz\n')
  registerRuleLoader(['.lines'], (file, text, builder) => {
    const lines = text.trim().split('\n')
    lines.forEach((l, i) => {
      const [target, word] = l.split(' ')
      builder.add(compileLine(file, 900 + i + (file.includes('sub') ? 50 : 0), target, word))
    })
    return lines.length
  })
  const set = (await loadRules([join(dir, 'r.lines'), join(dir, 'sub')])).build()
  t.same(set.rules.map(r => r.id), ['900', '901', '950'])
})

function compileLine (file: string, id: number, target: string, word: string): ReturnType<typeof compileRule> {
  return compileRule({ id, file, targets: [target], operator: { name: 'contains', argument: word } })
}
