import t from 'tap'
import { compileRule, RuleEngine, RuleSetBuilder } from '../../../lib/rules/index.js'
import type { RequestInput, RuleSet } from '../../../lib/rules/index.js'
import type { ExecRule } from '../../../lib/rules/exec.js'

/**
 * The prefilter marks a member's hits part by part (lib/rules/scan.ts), and the evaluator skips
 * the targets whose part the scan found nothing in (ExecRule.partBits). Random requests whose
 * values hold the rules' patterns in some collections (raw, encoded so that only a rule's
 * transformations reveal them, split across two values, with newlines) must match the same
 * rules at the same locations with the same scores (one point per matched value) and logdata
 * as every rule run on every value: without the result cache, with it filling, warm, and tiny.
 */

function rules (): RuleSetBuilder {
  const b = new RuleSetBuilder()
  const score = ['tx.anomaly_score=+1']
  const logdata = '%{TX.0} in %{MATCHED_VAR_NAME}: %{MATCHED_VAR}'
  b.add(compileRule({ id: 1, phase: 2, targets: ['ARGS', 'ARGS_NAMES', 'REQUEST_HEADERS:User-Agent', 'REQUEST_COOKIES', 'REQUEST_COOKIES_NAMES'], operator: { name: 'rx', argument: 'evil[0-9]*' }, capture: true, setvars: score, logdata }))
  b.add(compileRule({ id: 2, phase: 2, targets: ['REQUEST_COOKIES', 'ARGS', 'REQUEST_HEADERS'], transforms: ['urlDecodeUni', 'lowercase'], operator: { name: 'rx', argument: '^evil$' }, setvars: score, logdata }))
  b.add(compileRule({ id: 3, phase: 2, targets: ['ARGS', 'REQUEST_HEADERS', 'REQUEST_COOKIES'], transforms: ['urlDecodeUni', 'htmlEntityDecode'], multiMatch: true, operator: { name: 'rx', argument: '<script' }, capture: true, setvars: score, logdata }))
  b.add(compileRule({ id: 4, phase: 2, targets: ['ARGS_NAMES', 'ARGS'], operator: { name: 'rx', argument: 'a[0-9]' }, setvars: score, chain: { targets: ['REQUEST_HEADERS', 'REQUEST_COOKIES'], operator: { name: 'rx', argument: 'b[0-9]' }, setvars: score } }))
  b.add(compileRule({ id: 5, phase: 1, targets: ['REQUEST_HEADERS', 'REQUEST_COOKIES_NAMES', 'REQUEST_FILENAME'], operator: { name: 'rx', argument: '(?i)evil|[\\r\\n]' }, setvars: score, logdata }))
  b.add(compileRule({ id: 6, phase: 2, targets: ['ARGS', 'REQUEST_COOKIES', '!ARGS:skip'], operator: { name: 'pm', argument: 'evil bad' }, setvars: score, logdata }))
  return b
}

/** A random value: plain words, the patterns (raw, encoded, cut in two), newlines. */
function value (rand: () => number): string {
  const bits = ['x', 'shoe', 'evil', 'EVIL', '%65vil', 'ev', 'il', '7', 'a1', 'b2', '\n', ' ', '&lt;script', '%3cscript', '<script', 'bad', 'good']
  let v = ''
  const n = 1 + Math.floor(rand() * 4)
  for (let i = 0; i < n; i++) v += bits[Math.floor(rand() * bits.length)]
  return v
}

function request (rand: () => number): RequestInput {
  const args: string[] = []
  const names = ['id', 'q', 'skip', 'evil', 'a1', 'x']
  for (let i = 0, n = Math.floor(rand() * 4); i < n; i++) args.push(`${names[Math.floor(rand() * names.length)]}=${encodeURIComponent(value(rand))}`)
  const cookies: string[] = []
  for (let i = 0, n = Math.floor(rand() * 4); i < n; i++) cookies.push(`${names[Math.floor(rand() * names.length)]}${i}=${encodeURIComponent(value(rand))}`)
  // A few values repeat from request to request, so the cache serves some parts whole.
  const agent = rand() < 0.5 ? 'Mozilla/5.0 shoe' : value(rand).replace(/\n/g, ' ')
  const rawHeaders = ['Host', 'shop.example', 'User-Agent', agent, 'Referer', rand() < 0.7 ? 'https://shop.example/' : value(rand).replace(/\n/g, ' ')]
  if (cookies.length > 0) rawHeaders.push('Cookie', cookies.join('; '))
  return { method: 'GET', url: `/p/${rand() < 0.8 ? 'list' : 'evil'}?${args.join('&')}`, protocol: 'HTTP/1.1', rawHeaders, remoteAddress: '127.0.0.1' }
}

function seeded (seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    return s / 0x80000000
  }
}

const outcome = (e: RuleEngine, input: RequestInput): string =>
  e.check(input).matches.map(m => `${m.rule.id}@${m.location}+${m.score} ${m.logdata}`).join(' | ')

function member (set: RuleSet, phase: number, id: string): ExecRule {
  const x = set.phases[phase]?.items.find(i => 'rule' in i && i.rule.id === id)
  if (x === undefined || !('rule' in x)) throw new Error(`rule ${id} not in phase ${phase}`)
  return x
}

t.test('each target of a prefiltered rule knows its part: targets of different collections get different bits', async t => {
  const set = rules().build()
  const x = member(set, 2, '1')
  t.ok(x.group >= 0, 'rule 1 is prefiltered')
  t.equal(x.partBits.length, x.targets.length, 'a bit per target')
  t.equal(new Set(x.partBits).size, x.targets.length, 'five collections, five parts')
  const chained = member(set, 2, '4')
  t.ok(chained.chain !== undefined && chained.chain.group >= 0 && chained.chain.partBits.length === 2, 'a chain link has its own')
  const plain = member(rules().build({ prefilter: false }), 2, '1')
  t.same(plain.partBits, [], 'no group, no bits')
})

t.test('targets skipped by the parts the scan found nothing in: the same matches as every rule on every value', async t => {
  const b = rules()
  const prefiltered = b.build()
  const slow = new RuleEngine(b.build({ prefilter: false }), { mode: 'detect', resultCacheBytes: 0 })
  const engines: Array<[string, RuleEngine]> = [
    ['without the cache', new RuleEngine(prefiltered, { mode: 'detect', resultCacheBytes: 0 })],
    ['with the cache', new RuleEngine(prefiltered, { mode: 'detect' })],
    ['with a tiny cache', new RuleEngine(prefiltered, { mode: 'detect', resultCacheBytes: 4096 })]
  ]
  const rand = seeded(17)
  const requests = Array.from({ length: 1500 }, () => request(rand))
  const reference = requests.map(r => outcome(slow, r))
  const differ: string[] = []
  for (let pass = 0; pass < 2; pass++) {
    for (const [name, e] of engines) {
      requests.forEach((r, i) => {
        const got = outcome(e, r)
        if (got !== reference[i]) differ.push(`${name}, pass ${pass + 1}, ${r.url} ${JSON.stringify(r.rawHeaders)}: [${got}] vs [${reference[i]}]`)
      })
    }
  }
  t.same(differ.slice(0, 5), [], 'no request matches differently')
  const matched = reference.filter(o => o !== '').length
  t.ok(matched > 300 && matched < 1500, `the corpus both matches and does not (${matched} of 1500 match)`)
  const multi = reference.filter(o => /\+[2-9]/.test(o)).length
  t.ok(multi > 50, `rules match several values of one request (${multi} requests), so the scores count skipped targets`)
  const cache = engines[1][1].resultCache?.stats()
  t.ok(cache !== undefined && cache.hits > cache.misses, 'the warm pass is served by the cache')
})

t.test('a part whose values are the last request\'s is served its piece without joining them; values split differently are not', async t => {
  const b = new RuleSetBuilder()
  b.add(compileRule({ id: 7, phase: 2, targets: ['ARGS', 'REQUEST_COOKIES'], transforms: ['removeWhitespace'], operator: { name: 'rx', argument: 'evil' }, setvars: ['tx.anomaly_score=+1'] }))
  b.add(compileRule({ id: 8, phase: 2, targets: ['ARGS'], operator: { name: 'rx', argument: '^ev$' }, setvars: ['tx.anomaly_score=+1'] }))
  const slow = new RuleEngine(b.build({ prefilter: false }), { mode: 'detect', resultCacheBytes: 0 })
  const cached = new RuleEngine(b.build(), { mode: 'detect' })
  const get = (query: string, cookie = 'a=ev; b=il'): RequestInput => ({ method: 'GET', url: `/p?${query}`, protocol: 'HTTP/1.1', rawHeaders: ['Host', 'x', 'Cookie', cookie], remoteAddress: '127.0.0.1' })
  // The same values as one value with the separator inside, or joined differently: the key's text is the same, its piece is not theirs.
  const sequence = ['a=ev&b=il', 'a=ev&b=il', 'a=ev&b=il', 'a=ev%0Ail', 'a=ev&b=il', 'a=ev%0A&b=il', 'a=ev&b=%0Ail', 'a=ev&b=il', 'a=ev%0Ail&b=', 'a=ev&b=il&c=']
  const cookies = ['a=ev; b=il', 'a=ev; b=il', 'a=ev%0Ail', 'a=ev; b=il', 'a=ev; b=il; c=%0A']
  sequence.forEach((q, i) => {
    const r = get(q, cookies[i % cookies.length])
    t.equal(outcome(cached, r), outcome(slow, r), `${q} with ${cookies[i % cookies.length]}`)
  })
  const s = cached.resultCache?.stats()
  t.ok(s !== undefined && s.hits > 0, 'the cache served the repeated parts')
})

t.test('a check run by a hook inside a phase has scan state of its own: the phase goes on with its hits', async t => {
  const inner = new RuleEngine(rules().build(), { mode: 'detect' })
  const innerRequest = request(seeded(5))
  const make = (nested: boolean): RuleEngine => {
    const b = new RuleSetBuilder()
    let depth = 0
    // Rules 10-12 share one group (same targets, separator and stretch): 11 and 12 read hits made before 10's hook ran.
    b.add(compileRule({ id: 10, phase: 2, targets: ['ARGS'], operator: { name: 'rx', argument: 'hook' }, hooks: nested ? [() => { if (depth++ < 2) { inner.check(innerRequest); self.check(innerRequest) } depth-- }] : [] }))
    b.add(compileRule({ id: 11, phase: 2, targets: ['ARGS'], operator: { name: 'rx', argument: 'evil' }, setvars: ['tx.anomaly_score=+1'] }))
    b.add(compileRule({ id: 12, phase: 2, targets: ['ARGS', 'REQUEST_HEADERS'], operator: { name: 'rx', argument: 'bad|good' }, setvars: ['tx.anomaly_score=+1'] }))
    const self = new RuleEngine(b.build(), { mode: 'detect' })
    return self
  }
  const plain = make(false)
  const nested = make(true)
  for (const q of ['a=hook&b=evil', 'a=hook&b=evil&c=bad', 'a=evil', 'a=hook%20evil&d=good']) {
    const r: RequestInput = { method: 'GET', url: `/p?${q}`, protocol: 'HTTP/1.1', rawHeaders: ['Host', 'x', 'User-Agent', 'good'], remoteAddress: '127.0.0.1' }
    const want = outcome(plain, r)
    t.ok(want.includes('11@'), `${q}: rule 11 matches`)
    t.equal(outcome(nested, r), want, `${q}: the same after a check inside the phase`)
  }
})
