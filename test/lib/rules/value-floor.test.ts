import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { compileRegex } from '../../../lib/rules/regex.js'
import { isMarker } from '../../../lib/rules/exec.js'
import { valueFloor } from '../../../lib/rules/value-floor.js'
import type { ValueFloor } from '../../../lib/rules/value-floor.js'
import { loadCrs } from '../../crs/crs-builder.js'
import { CORPUS, corpusDir, payloads, payloadsPresent } from './corpus.js'

const bound = (source: string): [number, number] | undefined => {
  const f = valueFloor(source)
  return f === undefined ? undefined : [f.minLength, f.min]
}

t.test('the floor of patterns: lengths, counted classes, alternations, flags, what is not analysed', async t => {
  const cases: Array<[string, [number, number] | undefined]> = [
    ['((?:[<>][^<>]*?){12})', [12, 12]],
    ['((?:(?:[!-\\+\\-:->@\\[\\]\\^`\\{-~]|\\x{c2}\\x{b4}|\\x{e2}\\x80[\\x98\\x99])[^!-\\+\\-:->@\\[\\]\\^`\\{-~]*?){6})', [6, 6]],
    ['abc', [3, 0]],
    ['a|bc', undefined],
    ['(?:ab){2,}', [4, 2]],
    ['x*', undefined],
    ['\\d{4}-\\d{2}', [7, 6]],
    ['(?i)[a-c]{3}', [3, 3]],
    ['a{,3}', undefined],
    ['\\1', undefined],
    ['[\\pL]{3}', [3, 0]],
    ['(unclosed', undefined]
  ]
  for (const [source, want] of cases) t.same(bound(source), want, source)
})

/** Values that the floor refuses and RE2 matches: must be none. */
function wrongRefusals (floors: Array<[string, ValueFloor]>, values: readonly string[]): { wrong: string[], refused: number } {
  const wrong: string[] = []
  let refused = 0
  for (const [source, floor] of floors) {
    const re = compileRegex(source)
    for (const v of values) {
      if (floor.admits(v)) continue
      refused++
      if (re.test(v)) wrong.push(`${JSON.stringify(v.slice(0, 60))} matches ${source.slice(0, 60)}`)
    }
  }
  return { wrong, refused }
}

t.test('classes, case folding and the dot as RE2 reads them: every character U+0000-U+00FF, and a few above', async t => {
  const patterns = ['\\d\\d', '\\w\\w', '\\s\\s', '\\D\\D', '\\W\\W', '\\S\\S', '..', '(?s)..', '(?i)[a-z\\xe0]{2}', '(?i)[^a-z]{2}', '(?i)k\\xc9', '[[:alpha:]][[:space:]]', '[^\\n\\x80-\\xff]{2}', '\\Qa.\\E']
  const floors = patterns.map(p => [p, valueFloor(p)] as [string, ValueFloor | undefined]).filter((x): x is [string, ValueFloor] => x[1] !== undefined)
  t.equal(floors.length, patterns.length, 'each has a floor')
  const chars = [...Array.from({ length: 256 }, (_, c) => String.fromCharCode(c)), '\u017f', '\u212a', '\u0178', '\u2028']
  const pairs: string[] = []
  for (const a of chars) for (const b of chars) pairs.push(a + b)
  const { wrong, refused } = wrongRefusals(floors, pairs)
  t.ok(refused > 100000, `the floors refuse pairs (${refused})`)
  t.same(wrong.slice(0, 20), [], 'RE2 matches no pair a floor refuses')
})

const crsDir = join(corpusDir(), 'crs')
const SAMPLE = 25

t.test('no payload that a CRS pattern matches is refused by its floor (PL4, payloads as sent, upper-cased, and cut short)', async t => {
  if (!existsSync(join(crsDir, 'rules')) || !payloadsPresent()) {
    // CI has the corpus; elsewhere the test says it did not run.
    if (process.env.CI !== undefined) t.fail(`the corpus is absent (${corpusDir()})`)
    else t.comment(`skipped: no corpus at ${corpusDir()}; set WAF_CORPUS`)
    return
  }
  const builder = await loadCrs(crsDir, t.testdir(), 4)
  const floors = new Map<string, ValueFloor>()
  for (const phase of builder.build().phases) {
    for (const item of phase?.items ?? []) {
      if (isMarker(item)) continue
      for (let x: typeof item | undefined = item; x !== undefined; x = x.chain) if (x.floor !== undefined) floors.set(x.rule.operator.argument, x.floor)
    }
  }
  t.ok(floors.size > 100, `most rx patterns have a floor (${floors.size})`)
  const values: string[] = []
  // One payload in every SAMPLE, to keep the file within seconds.
  for (const { name } of CORPUS) {
    for (const [i, p] of payloads(name).entries()) if (i % SAMPLE === 0) values.push(p, p.toUpperCase(), p.slice(0, Math.ceil(p.length / 2)), p.slice(p.length >> 1))
  }
  const { wrong, refused } = wrongRefusals([...floors], values)
  t.comment(`${values.length} values, ${floors.size} patterns, ${refused} RE2 calls the floors spare`)
  t.ok(refused > values.length, 'the floors refuse values')
  t.same(wrong.slice(0, 20), [], 'RE2 agrees with every refusal')
})
