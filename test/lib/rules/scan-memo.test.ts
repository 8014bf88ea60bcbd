import t from 'tap'
import { compileRule, RuleEngine, RuleSetBuilder } from '../../../lib/rules/index.js'
import type { RequestInput } from '../../../lib/rules/index.js'
import { NO_VALUES_PART } from '../../../lib/rules/scan-memo.js'

/**
 * With a result cache, the prefilter takes each part's values from lib/rules/scan-memo.ts
 * partValues: a part that selects some keys of its collection gets the entries themselves when
 * it selects all of them, one shared empty part when it selects none (or the collection has no
 * entries), else an array of just its values. Random requests in which the selected headers,
 * cookies and arguments are absent, present once, repeated or the only ones, in phase 1 and in
 * phase 2 (where a body rebuilds the argument collections), must match the same rules at the
 * same locations with the same scores and logdata as every rule on every value without a cache.
 */

function rules (): RuleSetBuilder {
  const b = new RuleSetBuilder()
  const score = ['tx.anomaly_score=+1']
  const logdata = '%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'
  // Keyed parts: one key, two keys, a key no request sends; with and without transformations (the changed values kept per part).
  b.add(compileRule({ id: 1, phase: 1, targets: ['REQUEST_HEADERS:User-Agent'], operator: { name: 'rx', argument: 'evil' }, setvars: score, logdata }))
  b.add(compileRule({ id: 2, phase: 1, targets: ['REQUEST_HEADERS:Referer', 'REQUEST_HEADERS:X-Token'], transforms: ['urlDecodeUni', 'lowercase'], operator: { name: 'rx', argument: '<script' }, multiMatch: true, setvars: score, logdata }))
  b.add(compileRule({ id: 3, phase: 1, targets: ['REQUEST_HEADERS:X-Never', 'REQUEST_COOKIES:session'], transforms: ['urlDecodeUni'], operator: { name: 'rx', argument: 'bad' }, setvars: score, logdata }))
  b.add(compileRule({ id: 4, phase: 1, targets: ['REQUEST_HEADERS', 'REQUEST_HEADERS_NAMES', 'REQUEST_COOKIES', 'REQUEST_COOKIES_NAMES'], operator: { name: 'rx', argument: '(?i)evil|bad' }, setvars: score, logdata }))
  b.add(compileRule({ id: 5, phase: 2, targets: ['ARGS:q', 'ARGS:id', 'ARGS_NAMES'], transforms: ['urlDecodeUni', 'htmlEntityDecode'], operator: { name: 'rx', argument: 'evil|<script' }, setvars: score, logdata }))
  b.add(compileRule({ id: 6, phase: 2, targets: ['ARGS', 'REQUEST_HEADERS:User-Agent', 'REQUEST_COOKIES'], transforms: ['lowercase'], operator: { name: 'rx', argument: 'bad|evil' }, setvars: score, logdata }))
  b.add(compileRule({ id: 7, phase: 2, targets: ['ARGS_POST:q', 'ARGS_GET'], operator: { name: 'rx', argument: '^[a-z]*evil' }, setvars: score, logdata }))
  return b
}

function seeded (seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    return s / 0x80000000
  }
}

function request (rand: () => number): RequestInput {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]
  const values = ['x', 'shoe', 'evil', 'EVIL', 'bad', '%3cscript', '&lt;script', 'Mozilla/5.0', 'good']
  const value = (): string => pick(values) + (rand() < 0.4 ? pick(values) : '')
  // Some requests send only the keys a part selects (it selects all), some none of them, some repeat one.
  const rawHeaders: string[] = []
  const shape = rand()
  if (shape < 0.15) rawHeaders.push('User-Agent', value())
  else if (shape < 0.25) rawHeaders.push('Referer', value(), 'X-Token', value())
  else {
    rawHeaders.push('Host', 'shop.example')
    for (const name of ['User-Agent', 'Referer', 'X-Token', 'Accept', 'user-agent']) if (rand() < 0.4) rawHeaders.push(name, value())
    if (rand() < 0.5) rawHeaders.push('Cookie', Array.from({ length: 1 + Math.floor(rand() * 3) }, () => `${pick(['session', 'id', 'evil'])}=${value()}`).join('; '))
  }
  const args = Array.from({ length: Math.floor(rand() * 4) }, () => `${pick(['q', 'id', 'x', 'evil'])}=${encodeURIComponent(value())}`)
  const form = rand() < 0.4 ? Array.from({ length: Math.floor(rand() * 3) }, () => `${pick(['q', 'id', 'y'])}=${encodeURIComponent(value())}`).join('&') : undefined
  return {
    method: form === undefined ? 'GET' : 'POST',
    url: args.length === 0 ? '/p' : `/p?${args.join('&')}`,
    protocol: 'HTTP/1.1',
    rawHeaders,
    remoteAddress: '127.0.0.1',
    body: form === undefined ? undefined : { form }
  }
}

const outcome = (e: RuleEngine, input: RequestInput): string =>
  e.check(input).matches.map(m => `${m.rule.id}@${m.location}+${m.score} ${m.logdata}`).join(' | ')

t.test('parts that select all, some or none of their collection\'s keys: the same matches as every rule on every value', async t => {
  const b = rules()
  const slow = new RuleEngine(b.build({ prefilter: false }), { mode: 'detect', resultCacheBytes: 0 })
  const cached = new RuleEngine(b.build(), { mode: 'detect' })
  const rand = seeded(23)
  const requests = Array.from({ length: 1200 }, () => request(rand))
  const reference = requests.map(r => outcome(slow, r))
  const differ: string[] = []
  // Twice: the second pass is served the parts' last pieces and their verdicts.
  for (let pass = 0; pass < 2; pass++) {
    requests.forEach((r, i) => {
      const got = outcome(cached, r)
      if (got !== reference[i]) differ.push(`pass ${pass + 1}, ${r.url} ${JSON.stringify(r.rawHeaders)} ${r.body?.form ?? ''}: [${got}] vs [${reference[i]}]`)
    })
  }
  t.same(differ.slice(0, 5), [], 'no request matches differently')
  const matched = reference.filter(o => o !== '').length
  t.ok(matched > 200 && matched < 1100, `the requests both match and do not (${matched} of 1200 match)`)
  for (const id of ['1', '2', '3', '4', '5', '6', '7']) t.ok(reference.some(o => o.split(' | ').some(m => m.startsWith(`${id}@`))), `rule ${id} matches some request`)
  const s = cached.resultCache?.stats()
  t.ok(s !== undefined && s.hits > s.misses, 'the second pass is served by the cache')
})

t.test('the part without values that every transaction shares keeps nothing', async t => {
  NO_VALUES_PART.keepChanged(7, '\nchanged')
  t.equal(NO_VALUES_PART.changed(7), undefined, 'no chain text is kept on it')
  t.same([NO_VALUES_PART.values.length, NO_VALUES_PART.text, Object.isFrozen(NO_VALUES_PART.values)], [0, '', true], 'no values, no text, and its array cannot take any')
})
