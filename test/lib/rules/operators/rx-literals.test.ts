import t from 'tap'
import { op, TestContext } from '../match-context.js'
import type { Operator } from '../../../../lib/rules/model.js'
import { wholeWordMatcher } from '../../../../lib/rules/operators/rx-literals.js'
import { defaultRulesDir, loadRules, RuleEngine } from '../../../../lib/rules/index.js'
import { CORPUS, corpusDir, payloads, payloadsPresent } from '../corpus.js'

/**
 * `rx` patterns that are a list of whole words (`^(?:GET|HEAD)$`) are answered by a Set lookup
 * (lib/rules/operators/rx-literals.ts). Each is checked against RE2 itself: the same pattern
 * with `\z` for `$` (the same meaning in RE2, and not of the shortcut's shape) runs through the
 * regex, and both must agree on every value, on the matched text and on the capture.
 */
const PATTERNS = [
  '^(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|TRACE|TRACK|DEBUG)$',
  '(?i)^(?:TRACE|TRACK|DEBUG)$',
  '^GET$',
  '(?i)^get$',
  '^(?:a-b|c_d|K|s9)$',
  '(?i)^(?:ks|SK|k|s)$'
]

const CRAFTED = [
  '', 'GET', 'get', 'Get', 'GET\n', '\nGET', ' GET', 'GET ', 'GETX', 'XGET', 'GE', 'HEAD', 'head', 'TRACE', 'trace', 'TrAcK', 'DEBUG',
  'PROPFIND', 'GET\x00', 'G\u00c9T', '\u00e9', 'a-b', 'A-B', 'c_d', 'C_D', 'K', 'k', 's9', 'S9', 'ks', 'KS', 'sk', 's', 'S',
  '\u212a', '\u212as', 'k\u017f', '\u017f', '\u017fK', 'a-b\r', 'a|b', '(?:a)', 'GET|HEAD', '\ud800'
]

function values (): string[] {
  const out = [...CRAFTED]
  if (payloadsPresent()) for (const f of CORPUS) out.push(...payloads(f.name))
  return out
}

/** What a match leaves in a context: the verdict, the matched text and TX.0. */
function run (o: Operator, value: string, capture: boolean, matchedFrom: number | undefined): [boolean, string | undefined, string | undefined] {
  const ctx = new TestContext(capture) as TestContext & { matchedFrom?: number }
  ctx.matchedFrom = matchedFrom
  const hit = o.match(value, ctx)
  return [hit, ctx.matched, ctx.tx.get('0')]
}

t.test('whole-word patterns are answered without RE2 and agree with RE2 on every value', async t => {
  if (!payloadsPresent()) {
    if (process.env.CI !== undefined) t.fail(`no payload corpus at ${corpusDir()}`)
    else t.comment(`no payload corpus at ${corpusDir()} (set WAF_CORPUS): crafted values only`)
  }
  const all = values()
  for (const pattern of PATTERNS) {
    t.ok(wholeWordMatcher(pattern, () => { throw new Error('RE2 asked') }) !== undefined, `${pattern} takes the shortcut`)
    const shortcut = op('rx', pattern)
    const viaRe2 = op('rx', pattern.replace(/\$$/, '\\z'))
    let differ = 0
    let hits = 0
    for (const v of all) {
      for (const [capture, from] of [[false, undefined], [false, 256], [true, 256], [false, 0]] as Array<[boolean, number | undefined]>) {
        const a = run(shortcut, v, capture, from)
        const b = run(viaRe2, v, capture, from)
        if (a[0]) hits++
        if (a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2]) {
          if (differ++ < 3) t.fail(`${pattern} on ${JSON.stringify(v)} (capture ${String(capture)}, matchedFrom ${String(from)}): ${JSON.stringify(a)} vs RE2 ${JSON.stringify(b)}`)
        }
      }
    }
    t.equal(differ, 0, `${pattern}: same verdict, matched text and TX.0 as RE2 on ${all.length} values (${hits} matches)`)
  }
})

t.test('other patterns are left to RE2', async t => {
  for (const p of ['^(?:a|b)+$', '^a.b$', '(?m)^a$', '^(?:a||b)$', '^(?:|a)$', '^a$|^b$', '(?s)^a$', '^(?:a|b)$x', 'x^(?:a|b)$', '^(?:a b)$', '^(?i:a)$', '^\\x41$', '^(?:a|b)\\z']) {
    t.equal(wholeWordMatcher(p, () => false), undefined, p)
  }
})

t.test('a case-insensitive pattern sends a value beyond ASCII to RE2', async t => {
  let asked = 0
  const m = wholeWordMatcher('(?i)^(?:ks)$', () => { asked++; return true })
  const ctx = new TestContext()
  t.ok(m?.('KS', ctx))
  t.equal(asked, 0)
  t.ok(m?.('\u212as', ctx))
  t.equal(asked, 1, 'the Kelvin sign folds with k in RE2: asked')
})

t.test('the default rules\' method check (100802) flags what it flagged before', async t => {
  const engine = new RuleEngine((await loadRules(defaultRulesDir())).build(), { mode: 'detect' })
  const flagged = (method: string): boolean => engine.check({ method, url: '/', rawHeaders: ['Host', 'a.example', 'User-Agent', 'Mozilla/5.0'] }).matches.some(m => m.rule.id === '100802')
  for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) t.notOk(flagged(m), m)
  for (const m of ['PROPFIND', 'get', 'CONNECT', 'GETS']) t.ok(flagged(m), m)
})
