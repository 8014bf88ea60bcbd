import t from 'tap'
import { compileRule, RuleEngine, RuleSetBuilder } from '../../../lib/rules/index.js'
import type { RequestInput } from '../../../lib/rules/index.js'
import { FormMemo, formUrlDecodeUni, MAX_PAIR_CHARS } from '../../../lib/rules/form-memo.js'
import type { FormPiece } from '../../../lib/rules/form-memo.js'
import { urlDecodeUni } from '../../../lib/rules/transformations/url-decode-uni.js'
import { charMask } from '../../../lib/rules/chain.js'
import { parsePairs } from '../../../lib/rules/input.js'
import type { Pair } from '../../../lib/rules/input.js'
import { Counter, heldAgainstHeap } from './memo-account.js'
import { CORPUS, corpusDir, encodeValue, payloads, payloadsPresent } from './corpus.js'

/** A deterministic pseudo-random sequence (xorshift32). */
function random (seed: number): () => number {
  let s = seed
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 2 ** 32
  }
}

/** Payloads when the corpus is present, else a few; either way the odd pieces a parser must get right. */
function values (): string[] {
  const odd = ['', '=', '==', 'a=b=c', '+', '%', '%2', '%zz', '%25', '%2541', '%u0041', '%U00e9', 'a+b%20c', '\u20ac', '%E2%82%AC', 'x'.repeat(MAX_PAIR_CHARS + 8)]
  if (!payloadsPresent()) {
    if (process.env.CI !== undefined) t.fail(`no payload corpus at ${corpusDir()} (set WAF_CORPUS)`)
    t.comment(`no payload corpus at ${corpusDir()} (set WAF_CORPUS): a few values only`)
    return [...odd, "1' OR '1'='1", '<script>alert(1)</script>', 'blue running shoes', 'o\'reilly']
  }
  return [...odd, ...CORPUS.flatMap(c => payloads(c.name).filter((_, i) => i % 11 === 0))]
}

/** Forms of the values: raw or percent-encoded, keys and values, with empty and key-only pairs between. */
function forms (count: number, seed: number): string[] {
  const list = values()
  const next = random(seed)
  const pick = (): string => list[Math.floor(next() * list.length)]
  const piece = (): string => next() < 0.5 ? encodeValue(pick()) : pick().replace(/&/g, '')
  const out: string[] = []
  for (let f = 0; f < count; f++) {
    const pairs: string[] = [`token=${f}`]
    const n = 1 + Math.floor(next() * 6)
    for (let k = 0; k < n; k++) {
      const r = next()
      pairs.push(r < 0.1 ? '' : r < 0.2 ? piece() : `${r < 0.5 ? `field${k}` : piece()}=${piece()}`)
    }
    out.push(pairs.join('&'))
  }
  return out
}

/** The engine of the last test; built once here first, so that its chains' trigger classes (./chain.ts) exist for every test. */
const build = (resultCacheBytes?: number, bodyBytes?: number): RuleEngine => {
  const b = new RuleSetBuilder()
  b.add(compileRule({ id: 1, phase: 2, targets: ['ARGS_POST'], transforms: ['urlDecodeUni', 'lowercase'], multiMatch: true, operator: { name: 'rx', argument: '(?:select|<script|\\ba\\b)' }, capture: true, logdata: 'got %{TX.0} in %{MATCHED_VAR_NAME}', setvars: [{ name: 'tx.score', op: '+', value: '5' }] }))
  b.add(compileRule({ id: 2, phase: 2, targets: ['ARGS_NAMES', 'ARGS'], transforms: ['htmlEntityDecode'], operator: { name: 'detectXSS' }, logdata: 'xss %{MATCHED_VAR}' }))
  b.add(compileRule({ id: 3, phase: 2, targets: ['ARGS_POST'], transforms: ['urlDecodeUni'], operator: { name: 'detectSQLi' }, capture: true, logdata: 'sqli %{TX.0}' }))
  b.add(compileRule({ id: 4, phase: 2, targets: ['ARGS_POST'], transforms: ['length'], operator: { name: 'gt', argument: '40' }, logdata: 'long %{MATCHED_VAR_NAME}' }))
  b.add(compileRule({ id: 5, phase: 2, targets: ['REQUEST_BODY'], transforms: ['htmlEntityDecode', 'lowercase'], operator: { name: 'rx', argument: '<script|\\x27 or ' }, capture: true, logdata: 'body %{TX.0}' }))
  b.add(compileRule({ id: 6, phase: 2, targets: ['REQUEST_BODY'], transforms: ['urlDecodeUni'], operator: { name: 'detectSQLi' }, logdata: 'body sqli' }))
  b.add(compileRule({ id: 7, phase: 2, targets: ['REQUEST_BODY'], transforms: ['urlDecodeUni'], operator: { name: 'rx', argument: '(?s)^.*$' }, logdata: 'decoded body' }))
  return new RuleEngine(b.build(), { mode: 'detect', limits: { valueBytes: 64, ...(bodyBytes === undefined ? {} : { bodyBytes }) }, ...(resultCacheBytes === undefined ? {} : { resultCacheBytes }) })
}
build(0)

const decoded = (ps: Pair[]): Array<[string, string]> => ps.map(p => [p.key, p.value])

t.test('the memo parses as parsePairs does and gives the text\'s trigger bits, cold, warm and while it drops generations; its bytes stay within its share', async t => {
  const list = forms(1500, 17)
  // parsePairs' view of each form, twice over: the memo meets every form cold, then warm.
  const wants = list.map(form => {
    const want: Pair[] = []
    parsePairs(form, want)
    return JSON.stringify(decoded(want))
  })
  for (const share of [1 << 24, 8 * 1024]) {
    const account = new Counter()
    const memo = new FormMemo(share, account)
    let masks = 0
    const differ = [...list, ...list].filter((form, i) => {
      const got: Pair[] = []
      const mask = memo.parse(form, got)
      if (mask !== -1) masks++
      return JSON.stringify(decoded(got)) !== wants[i % list.length] || (mask !== -1 && mask !== charMask(form))
    })
    const s = memo.stats()
    t.same(differ, [], `share ${share}: every form's pairs are parsePairs', its trigger bits charMask's (${list.length} forms, twice)`)
    t.ok(account.most <= share, `share ${share}: at most ${account.most} bytes held`)
    t.ok(masks > list.length / 2, `share ${share}: the text's trigger bits came from the pairs for ${masks} forms (each as charMask gives them)`)
    if (share > 1 << 20) t.ok(s.formPairHits > s.formPairMisses * 0.9, `share ${share}: the second pass served (${s.formPairHits} hits, ${s.formPairMisses} misses, ${s.formPairs} held)`)
    else t.ok(s.formPairs < 100, `share ${share}: few held (${s.formPairs})`)
  }
})

t.test('the form\'s urlDecodeUni joined from its pieces is urlDecodeUni of the whole form: odd escapes at the `&`s, %u, %26, `+`, cold, warm and with a tiny share', async t => {
  const odd = ['&', '&&', 'a%&41', '%u00&41', '%u004&1', '%2&6', '%&', '&%', '+&+', 'a=%u0041&b=%U00e9+%41', 'a=%uff07&%uFF1c', 'x=%26y&z=%2', 'k%3dv=1', '%%41&%', 'a=%u12', 'a=%u12g4&b=%41%']
  const list = [...odd, ...forms(1500, 29), ...forms(500, 31).map(f => f.replace(/=/g, '=%u00').replace(/token/g, '%U0074oken'))]
  for (const share of [1 << 24, 2 * 1024]) {
    const memo = new FormMemo(share, new Counter())
    const differ: string[] = []
    let remembered = 0
    for (const form of [...list, ...list]) {
      const pieces: FormPiece[] = []
      memo.parse(form, [], pieces)
      if (pieces.some(p => typeof p !== 'string')) remembered++
      if (formUrlDecodeUni(pieces) !== urlDecodeUni(form)) differ.push(form)
    }
    t.same(differ.slice(0, 5), [], `share ${share}: the join is urlDecodeUni of the form (${differ.length} of ${list.length * 2} differ)`)
    t.ok(remembered > list.length / 2, `share ${share}: pairs remembered in ${remembered} forms`)
  }
})

t.test('each form after an edited one (a pair changed, of the same length or one longer, added, dropped, swapped) parses as parsePairs does, its pairs compared in place with the last form\'s, also while generations drop', async t => {
  const next = random(5)
  const list = values().filter(v => v.length < 64)
  const pick = (): string => list[Math.floor(next() * list.length)].replace(/&/g, '')
  for (const share of [1 << 24, 4 * 1024]) {
    const memo = new FormMemo(share, new Counter())
    let pairs = ['token=1', 'a=1', 'b=22', 'c=%41', 'd', '', 'e=x']
    const differ: string[] = []
    for (let f = 0; f < 3000; f++) {
      const at = Math.floor(next() * (pairs.length + 1))
      const r = next()
      const old = pairs[at] ?? ''
      if (r < 0.2) pairs[at] = old.replace(/.$/, c => c === '1' ? '2' : '1') // the same length, one character else
      else if (r < 0.35) pairs[at] = `${old}1` // the last one's text and one more character
      else if (r < 0.45) pairs.splice(at, 0, `${pick()}=${pick()}`)
      else if (r < 0.55 && pairs.length > 2) pairs.splice(at, 1)
      else if (r < 0.65 && at + 1 < pairs.length) pairs = [...pairs.slice(0, at), pairs[at + 1], pairs[at], ...pairs.slice(at + 2)]
      const form = pairs.join('&')
      const want: Pair[] = []
      parsePairs(form, want)
      const got: Pair[] = []
      const mask = memo.parse(form, got)
      if (JSON.stringify(decoded(got)) !== JSON.stringify(decoded(want)) || (mask !== -1 && mask !== charMask(form))) differ.push(form)
    }
    t.same(differ.slice(0, 5), [], `share ${share}: every form's pairs are parsePairs' (${differ.length} of 3000 differ)`)
    if (share > 1 << 20) t.ok(memo.stats().formPairHits > 3000 * 5, `share ${share}: pairs served (${memo.stats().formPairHits})`)
  }
})

t.test('bytes counted honestly, and pairs never keep the request\'s body alive', async t => {
  // 5,000 bodies of 8 KB; their pairs of 13 characters or more are views into them until copied.
  const bodies = Array.from({ length: 5000 }, (_, i) => `id=${String(i).padStart(8, '0')}&text=plain+words+of+${i}+and+more&name=%41lice${i}&`)
  const account = new Counter()
  const memo = new FormMemo(1 << 30, account)
  heldAgainstHeap(t, account, () => bodies.forEach(b => memo.parse(b.padEnd(8 * 1024, 'z'), [])), () => `${memo.stats().formPairs} pairs`, bodies.length * 2048, 1.6)
})

t.test('never remembered: pairs over MAX_PAIR_CHARS, text beyond U+00FF; a share of 0 remembers nothing', async t => {
  const account = new Counter()
  const memo = new FormMemo(1 << 20, account)
  const long = `a=${'x'.repeat(MAX_PAIR_CHARS)}`
  for (let i = 0; i < 3; i++) memo.parse(`${long}&b=\u20ac%41`, [])
  t.same([memo.stats().formPairs, memo.stats().formPairHits, account.held], [0, 0, 0])
  const none = new FormMemo(0, account)
  none.parse('a=1&a=1', [])
  t.same([none.stats().formPairs, none.stats().formPairHits], [0, 0])
})

t.test('in the engine: the same matches, values, logdata and cuts with the memo (result cache) as without; counted in the cache\'s stats', async t => {
  const on = build(1 << 26)
  const tiny = build(4096)
  const off = build(0)
  const cutOn = build(1 << 26, 40)
  const cutOff = build(0, 40)
  const list = forms(400, 5)
  const req = (form: string): RequestInput => ({ method: 'POST', url: '/f', rawHeaders: ['Host', 'a.example', 'Content-Type', 'application/x-www-form-urlencoded'], body: { form } })
  const outcome = (e: RuleEngine, form: string): string => {
    const r = e.check(req(form))
    return JSON.stringify([r.matches.map(m => `${m.rule.id}@${m.location}+${m.score} ${m.logdata} [${m.value}] [${m.matched ?? ''}]`), r.cuts])
  }
  const differ: string[] = []
  let matched = 0
  for (let pass = 0; pass < 2; pass++) {
    for (const form of list) {
      const want = outcome(off, form)
      if (want.includes('@')) matched++
      for (const [name, e] of [['memo', on], ['tiny memo', tiny]] as const) {
        const got = outcome(e, form)
        if (got !== want) differ.push(`${name} ${JSON.stringify(form)}: ${got} vs ${want}`)
      }
      const cut = outcome(cutOn, form)
      if (cut !== outcome(cutOff, form)) differ.push(`body cut ${JSON.stringify(form)}: ${cut}`)
    }
  }
  t.same(differ, [], `${list.length} forms twice: the same outcome`)
  t.ok(matched > list.length / 4, `the comparison includes matches (${matched})`)
  for (let i = 0; i < 2; i++) t.match(outcome(on, 'a=1&lt;script&gt;x=2'), /5@REQUEST_BODY.*body <script/, 'an entity across pairs is decoded in REQUEST_BODY, pairs remembered or not (the `&`s are in its trigger bits)')
  t.match(outcome(on, 'a=%2541'), /1@ARGS_POST:a.*\[a\]/, 'a decoded %41 is decoded again by urlDecodeUni when remembered (its trigger bits are right)')
  t.match(outcome(on, `a=${'y'.repeat(70)}`), /"kind":"value","location":"ARGS_POST:a","size":70/, 'a remembered value is cut and the cut recorded on every request')
  const s = on.resultCache!.stats()
  t.ok(s.formPairs > 0 && s.formPairHits > s.formPairMisses, `the memo serves the second pass (${s.formPairHits} hits, ${s.formPairMisses} misses)`)
  t.equal(off.resultCache, undefined, 'no cache, no memo')
  t.ok(tiny.resultCache!.stats().bytes <= 4096, 'the tiny cache stays within its limit, memo included')
})
