import t from 'tap'
import { RuleEngine, loadRules, defaultRulesDir } from '../../../lib/rules/index.js'
import { getTransformation, transformationNames } from '../../../lib/rules/transformations/index.js'

/**
 * 100 KB adversarial values through every default rule, inspected whole (limits raised): the
 * check completes (RE2 has no backtracking; the transformations are single passes). Time is
 * the benchmark's business (bench/rules prints µs per KB for growing sizes); here a quadratic
 * or exponential path would blow the test's timeout.
 */
const SIZE = 100_000
const VALUES: Record<string, string> = {
  'a…!': 'a'.repeat(SIZE) + '!',
  'nested quotes': `'"`.repeat(SIZE / 2),
  'percent run': '%'.repeat(SIZE),
  'percent-25 run': '%25'.repeat(SIZE / 3),
  'unicode escapes': '%u'.repeat(SIZE / 2),
  'open tags': '<a '.repeat(SIZE / 3),
  'entities': '&#'.repeat(SIZE / 2),
  'comments': '/*'.repeat(SIZE / 2),
  'backslashes': '\\'.repeat(SIZE),
  'parentheses': '('.repeat(SIZE),
  'union select spaced': 'union' + ' '.repeat(SIZE) + 'x',
  'dots and slashes': '../'.repeat(SIZE / 3),
  'dollar braces': '${'.repeat(SIZE / 2)
}

t.test('every default rule over 100 KB adversarial values', async t => {
  const engine = new RuleEngine((await loadRules(defaultRulesDir())).build(), {
    mode: 'detect',
    limits: { valueBytes: 4 * SIZE, bodyBytes: 16 * SIZE }
  })
  for (const [name, value] of Object.entries(VALUES)) {
    const enc = encodeURIComponent(value)
    const get = engine.check({ method: 'GET', url: `/?q=${enc}`, rawHeaders: ['Host', 'x', 'User-Agent', value.slice(0, 8000), 'Referer', value.slice(0, 8000)] })
    t.same(get.cuts, [], `${name}: the query value was inspected whole`)
    const post = engine.check({ method: 'POST', url: '/', rawHeaders: ['Host', 'x'], body: { form: `q=${enc}` } })
    t.same(post.cuts, [], `${name}: the form value was inspected whole`)
    const json = engine.check({ method: 'POST', url: '/', rawHeaders: ['Host', 'x'], body: { json: { q: value } } })
    t.same(json.cuts, [], `${name}: the JSON value was inspected whole`)
  }
})

t.test('every transformation over every adversarial value', async t => {
  for (const name of transformationNames()) {
    const fn = getTransformation(name)?.fn
    if (fn === undefined) continue
    for (const value of Object.values(VALUES)) t.type(fn(value), 'string')
  }
  t.pass(`${transformationNames().length} transformations`)
})
