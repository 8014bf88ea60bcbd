import t from 'tap'
import { compileRule, RuleEngine, RuleSetBuilder } from '../../../lib/rules/index.js'
import type { RequestInput } from '../../../lib/rules/index.js'
import { DetectionMemo, MAX_MEMO_CHARS } from '../../../lib/rules/detection-memo.js'
import { detectSQLiInByteString, detectXSSInByteString } from '../../../lib/rules/libinjection/index.js'
import { ResultCache } from '../../../lib/rules/result-cache.js'
import { Counter, heldAgainstHeap } from './memo-account.js'
import { CORPUS, corpusDir, encodeValue, payloads, payloadsPresent } from './corpus.js'

/** Values libinjection flags and values it does not: the payload corpus when present, else a few of each. */
function values (): string[] {
  if (!payloadsPresent()) {
    if (process.env.CI !== undefined) t.fail(`no payload corpus at ${corpusDir()} (set WAF_CORPUS)`)
    t.comment(`no payload corpus at ${corpusDir()} (set WAF_CORPUS): a few values only`)
    return ["1' OR '1'='1", '<script>alert(1)</script>', 'blue running shoes', "1 UNION SELECT username,password FROM users--", 'javascript:alert(1)', 'o\'reilly', '']
  }
  return CORPUS.flatMap(c => payloads(c.name).filter((_, i) => i % 7 === 0))
}

t.test('the memo gives libinjection\'s verdicts, cold, warm and while it drops generations; its bytes stay within its share', async t => {
  const list = [...new Set(values())]
  const kept = list.filter(v => v.length <= MAX_MEMO_CHARS && !/[^\x00-\xff]/.test(v)).length
  for (const share of [1 << 22, 16 * 1024]) {
    const account = new Counter()
    const memo = new DetectionMemo(share, account)
    const differ: string[] = []
    // Each value twice in a row, the whole list twice: served at once, and (with the large share) a pass later.
    for (let pass = 0; pass < 2; pass++) {
      for (const v of list) {
        for (let k = 0; k < 2; k++) {
          if (memo.sqli(v) !== detectSQLiInByteString(v)) differ.push(`sqli ${JSON.stringify(v)}`)
          if (memo.xss(v) !== detectXSSInByteString(v)) differ.push(`xss ${JSON.stringify(v)}`)
        }
      }
    }
    const s = memo.stats()
    t.same(differ, [], `share ${share}: every verdict is libinjection's (${list.length} values)`)
    t.ok(account.most <= share, `share ${share}: at most ${account.most} bytes held`)
    t.equal(s.detectionHits + s.detectionMisses, 8 * list.length, 'every call counted')
    if (share > 1 << 20) {
      t.equal(s.detectionMisses, 8 * list.length - 6 * kept, 'a share that holds them all: each value computed once per detector')
      t.equal(s.detections, 2 * kept, 'one verdict per value and detector')
    } else {
      t.ok(s.detectionHits >= 2 * kept && s.detections < list.length / 4, `a small share: the repeats served (${s.detectionHits}), few held (${s.detections})`)
    }
  }
})

t.test('a value in use survives the drop of the old generation; the same sequence leaves the same memo', async t => {
  const run = (): { account: Counter, memo: DetectionMemo, hits: number } => {
    const account = new Counter()
    const memo = new DetectionMemo(8 * 1024, account)
    let hits = 0
    for (let i = 0; i < 3000; i++) {
      const before = memo.stats().detectionHits
      memo.sqli('the value sent on every request')
      hits += memo.stats().detectionHits - before
      memo.sqli(`a token seen once ${i}`)
    }
    return { account, memo, hits }
  }
  const a = run()
  t.equal(a.hits, 2999, 'the repeated value is computed once, whatever generations go')
  t.ok(a.memo.stats().detections < 200, 'the values seen once go with their generation')
  const b = run()
  t.same([b.memo.stats(), b.account.held], [a.memo.stats(), a.account.held], 'deterministic')
})

t.test('never remembered: values over MAX_MEMO_CHARS, text beyond U+00FF; a share of 0 remembers nothing', async t => {
  const account = new Counter()
  const memo = new DetectionMemo(1 << 20, account)
  const long = "1' OR 1=1 -- ".padEnd(MAX_MEMO_CHARS + 1, 'x')
  const wide = "1' OR 1=1 -- \u20ac"
  for (let i = 0; i < 3; i++) {
    t.equal(memo.sqli(long), detectSQLiInByteString(long))
    t.equal(memo.xss(wide), detectXSSInByteString(wide))
  }
  t.same([memo.stats().detections, memo.stats().detectionHits, account.held], [0, 0, 0])
  const none = new DetectionMemo(0, account)
  none.sqli('abc')
  none.sqli('abc')
  t.same([none.stats().detections, none.stats().detectionHits], [0, 0])
})

t.test('bytes counted honestly, and keys never keep the request\'s body alive', async t => {
  const account = new Counter()
  const memo = new DetectionMemo(1 << 30, account)
  const bodies = 10000
  heldAgainstHeap(t, account, () => {
    for (let i = 0; i < bodies; i++) {
      // A value as the form parser gives it: a slice of a larger body (8 KB each here).
      const body = `f=${String(i).padStart(8, '0')}`.padEnd(8 * 1024, '&g=some ordinary text')
      memo.sqli(body.slice(2, 60))
      memo.xss(body.slice(2, 61))
    }
  }, () => `${memo.stats().detections} verdicts`, bodies * 1024, 1.5)
})

t.test('in the engine: the same matches, captures and logdata with the memo (result cache) as without; counted in the cache\'s stats', async t => {
  const build = (resultCacheBytes?: number): RuleEngine => {
    const b = new RuleSetBuilder()
    b.add(compileRule({ id: 1, phase: 2, targets: ['ARGS', 'REQUEST_COOKIES'], transforms: ['urlDecodeUni'], multiMatch: true, operator: { name: 'detectSQLi' }, capture: true, logdata: 'fp %{TX.0} in %{MATCHED_VAR_NAME}', setvars: [{ name: 'tx.score', op: '+', value: '5' }] }))
    b.add(compileRule({ id: 2, phase: 2, targets: ['ARGS', 'REQUEST_HEADERS:User-Agent'], transforms: ['htmlEntityDecode'], operator: { name: 'detectXSS' }, capture: true, logdata: 'xss %{TX.0}' }))
    return new RuleEngine(b.build(), { mode: 'detect', ...(resultCacheBytes === undefined ? {} : { resultCacheBytes }) })
  }
  const on = build()
  const tiny = build(4096)
  const off = build(0)
  const sent = values().filter((_, i) => i % 5 === 0).slice(0, 600)
  const req = (v: string, i: number): RequestInput => ({
    method: 'POST',
    url: `/f?id=${i}`,
    rawHeaders: ['Host', 'a.example', 'User-Agent', i % 2 === 0 ? v : 'Mozilla/5.0', 'Cookie', `pref=${encodeValue(v)}`],
    body: { form: `token=${i}&a=${encodeValue(v)}&b=plain+words` }
  })
  const outcome = (e: RuleEngine, input: RequestInput): string =>
    e.check(input).matches.map(m => `${m.rule.id}@${m.location}+${m.score} ${m.logdata} [${m.value}] [${m.matched ?? ''}]`).join(' | ')
  const differ: string[] = []
  let matched = 0
  for (let pass = 0; pass < 2; pass++) {
    sent.forEach((v, i) => {
      const want = outcome(off, req(v, i))
      if (want !== '') matched++
      for (const [name, e] of [['memo', on], ['tiny memo', tiny]] as const) {
        const got = outcome(e, req(v, i))
        if (got !== want) differ.push(`${name} ${JSON.stringify(v)}: [${got}] vs [${want}]`)
      }
    })
  }
  t.same(differ, [], `${sent.length} values twice: the same outcome`)
  t.ok(matched > sent.length / 4, `the comparison includes matches (${matched})`)
  const s = on.resultCache!.stats()
  t.ok(s.detections > 0 && s.detectionHits > s.detectionMisses, `the memo serves the second pass (${s.detectionHits} hits, ${s.detectionMisses} misses)`)
  t.ok(tiny.resultCache!.stats().bytes <= 4096, 'the tiny cache stays within its limit, memo included')
})
