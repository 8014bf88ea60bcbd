import t from 'tap'
import { RuleEngine, loadRules, defaultRulesDir } from '../../../lib/rules/index.js'
import { getTransformation, transformationNames } from '../../../lib/rules/transformations/index.js'
import { assertLinear, repeatTo } from '../../helpers/linear.js'

/**
 * Adversarial values through every default rule, inspected whole (limits raised), and through
 * every transformation: each timed at 10 KB and 100 KB of the same shape (test/helpers/linear.ts),
 * the 100 KB run under 50 times the 10 KB one (RE2 has no backtracking; the transformations are
 * single passes; a quadratic path gives ~100).
 */
const SIZE = 100_000
const SHAPES: Record<string, (n: number) => string> = {
  'a…!': n => 'a'.repeat(n) + '!',
  'nested quotes': n => `'"`.repeat(n / 2),
  'percent run': n => '%'.repeat(n),
  'percent-25 run': n => repeatTo('%25', n),
  'unicode escapes': n => '%u'.repeat(n / 2),
  'open tags': n => repeatTo('<a ', n),
  'entities': n => '&#'.repeat(n / 2),
  'comments': n => '/*'.repeat(n / 2),
  'backslashes': n => '\\'.repeat(n),
  'parentheses': n => '('.repeat(n),
  'union select spaced': n => 'union' + ' '.repeat(n) + 'x',
  'dots and slashes': n => repeatTo('../', n),
  'dollar braces': n => '${'.repeat(n / 2)
}

t.test('every default rule over 100 KB adversarial values, in linear time', async t => {
  const engine = new RuleEngine((await loadRules(defaultRulesDir())).build(), {
    mode: 'detect',
    limits: { valueBytes: 4 * SIZE, bodyBytes: 16 * SIZE }
  })
  const get = (value: string) => engine.check({ method: 'GET', url: `/?q=${encodeURIComponent(value)}`, rawHeaders: ['Host', 'x', 'User-Agent', value.slice(0, 8000), 'Referer', value.slice(0, 8000)] })
  const form = (value: string) => engine.check({ method: 'POST', url: '/', rawHeaders: ['Host', 'x'], body: { form: `q=${encodeURIComponent(value)}` } })
  const json = (value: string) => engine.check({ method: 'POST', url: '/', rawHeaders: ['Host', 'x'], body: { json: { q: value } } })
  for (const [name, make] of Object.entries(SHAPES)) {
    const value = make(SIZE)
    t.same(get(value).cuts, [], `${name}: the query value was inspected whole`)
    t.same(form(value).cuts, [], `${name}: the form value was inspected whole`)
    t.same(json(value).cuts, [], `${name}: the JSON value was inspected whole`)
    for (const [where, check] of [['query', get], ['form', form], ['JSON', json]] as const) {
      assertLinear(t, `${name} in the ${where}`, check, make, { runs: 3 })
    }
  }
})

t.test('every transformation over every adversarial shape, in linear time', async t => {
  for (const name of transformationNames()) {
    const fn = getTransformation(name)?.fn
    if (fn === undefined) continue
    for (const [shape, make] of Object.entries(SHAPES)) assertLinear(t, `${name} on ${shape}`, fn, make, { runs: 3, minMs: 1 })
  }
})
