import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { literalFactors, MAX_SET_FACTORS, setFactors } from '../../../lib/rules/prefilter-literals.js'
import { joinSeparator, setPattern } from '../../../lib/rules/prefilter.js'
import type { PrefilterSet } from '../../../lib/rules/prefilter.js'
import { compileRegex, compileSet } from '../../../lib/rules/regex.js'
import { loadCrs } from '../../crs/crs-builder.js'
import { CORPUS, corpusDir, payloads, payloadsPresent } from './corpus.js'

const factors = (source: string): string[] | undefined => {
  const f = literalFactors(source)
  return f === undefined ? undefined : [...f].sort()
}

t.test('the factors of patterns: literals, alternations, groups, quantifiers, escapes, case folded', async t => {
  const cases: Array<[string, string[] | undefined]> = [
    ['(?i)union\\s+select', ['select']],
    ['(?i)(?:<script|javascript:)', ['<script', 'javascript:']],
    ['abc|de', ['abc', 'de']],
    ['a?b', ['ab', 'b']],
    ['[abc]+x', ['x']],
    ['(?:foo)+bar', ['foo']],
    ['\\bSELECT\\b', ['select']],
    ['x{2,}y', ['x']],
    ['(?i:on)\\w+=', ['on']],
    ['(?i)\\Qa.b\\E', ['a.b']],
    ['\\x41\\x42', ['ab']],
    ['^(?P<m>GET|HEAD) /', ['get /', 'head /']],
    ['a|b*', undefined],
    ['[\\x00-\\x08]', undefined],
    ['.*', undefined],
    ['x*', undefined],
    ['caf\u00e9', ['caf']],
    ['(unclosed', undefined],
    ['\\e', undefined]
  ]
  for (const [source, want] of cases) t.same(factors(source), want, source)
  t.same(setFactors(['abc', 'xabcx', 'de']), ['de', 'abc'], 'a factor that holds another is dropped')
  t.equal(setFactors(['abc', '.*']), undefined, 'a pattern without factors: none for the set')
  t.equal(setFactors(Array.from({ length: MAX_SET_FACTORS + 1 }, (_, i) => `word${i}x`)), undefined, 'too many factors: none')
})

t.test('a set scans \\A and \\z as ^ and $: it finds every value they match among joined values', async t => {
  t.equal(setPattern('a\\z|\\Ab'), 'a$|^b')
  t.equal(setPattern('x\\\\z'), 'x\\\\z', 'an escaped backslash before z is no anchor')
  t.equal(setPattern('\\Qa\\z\\E\\z'), '\\Qa\\z\\E\\z', 'with \\Q the pattern is left as it is')
  t.equal(joinSeparator(setPattern('\\Qa\\z\\E\\z')), undefined, '... and kept out of sets')
  const sources = ["[\"'`](?:$|(?:\\r?\\n)?\\z)", '\\Aselect', 'x\\z']
  const values = ["it's'", "a'\r\n", 'select 1', 'noselect', 'x', 'xy', 'a\nx', "'\nb"]
  for (const source of sources) {
    t.equal(joinSeparator(setPattern(source)), '\n', `${source} joins with \\n`)
    const set = compileSet([setPattern(source)], 'm')
    const re = compileRegex(source)
    for (const v of values) {
      if (!re.test(v)) continue
      for (const [before, after] of [['', ''], ['other\n', ''], ['', '\nother'], ['p\n', '\nq']]) {
        t.ok(set.test(before + v + after), `${JSON.stringify(v)} among others matches ${source}`)
      }
    }
  }
})

const crsDir = join(corpusDir(), 'crs')

if (!existsSync(join(crsDir, 'rules')) || !payloadsPresent()) {
  t.test('the CRS sets against RE2 on the payload corpus', async t => {
    if (process.env.CI !== undefined) t.fail(`the corpus is absent (${corpusDir()}): CI needs it`)
    else t.comment(`skipped: the corpus is absent (${corpusDir()}); set WAF_CORPUS`)
  })
} else {
  t.test('no payload that an RE2.Set of the CRS matches lacks every factor of the set (PL4, payloads as sent and upper-cased)', async t => {
    const builder = await loadCrs(crsDir, t.testdir(), 4)
    const sets: PrefilterSet[] = []
    for (const phase of builder.build().phases) for (const g of phase?.groups ?? []) for (const s of g.sets) if (s.factors !== undefined) sets.push(s)
    t.ok(sets.length > 50, `most sets have factors (${sets.length})`)
    const wrong: string[] = []
    let skipped = 0
    let texts = 0
    for (const { name } of CORPUS) {
      for (const p of payloads(name)) {
        for (const text of [p, p.toUpperCase()]) {
          texts++
          const lower = text.toLowerCase()
          const bytes = Buffer.from(text, 'utf8')
          for (const s of sets) {
            if (s.factors!.some(f => lower.includes(f))) continue
            skipped++
            if (s.set.test(bytes)) wrong.push(`${name}: ${JSON.stringify(text.slice(0, 80))} matches set ${s.id} without any of ${JSON.stringify(s.factors)}`)
          }
        }
      }
    }
    t.comment(`${texts} texts, ${skipped} set calls the factors skip`)
    t.ok(skipped > texts, 'the factors skip calls')
    t.same(wrong.slice(0, 20), [], 'RE2 agrees with every skip')
  })
}
