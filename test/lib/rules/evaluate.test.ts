import t from 'tap'
import { compileRule, RuleEngine, RuleSetBuilder } from '../../../lib/rules/index.js'
import type { EngineOptions, RequestInput, RuleSpec } from '../../../lib/rules/index.js'
import type { RuleSet } from '../../../lib/rules/ruleset.js'

function ruleSet (specs: RuleSpec[]): RuleSet {
  const b = new RuleSetBuilder()
  specs.forEach((s, i) => b.add(compileRule({ id: i + 1, phase: 1, disruptive: 'pass', ...s })))
  return b.build()
}

/** Everything a match records, as one line per match. */
const outcome = (e: RuleEngine, input: RequestInput): string[] => {
  const r = e.check(input)
  return [`${r.action} ${String(r.status)} bot=${String(r.bot)}`, ...r.matches.map(m => JSON.stringify([m.rule.id, m.location, m.value, m.matched, m.msg, m.logdata, m.score, m.disruptive, m.denied]))]
}

/**
 * The same engine with the prelude out of play: an exclusion of a rule id no rule has makes every
 * transaction start with a removal, so phase 1 runs every rule from the first.
 */
const withoutPrelude = (set: RuleSet, opts: EngineOptions = {}): RuleEngine => new RuleEngine(set, { ...opts, exclusions: [{ ruleId: 999999 }] })

const H = ['Host', 'shop.example', 'User-Agent', 'Mozilla/5.0']
const get = (url: string): RequestInput => ({ method: 'GET', url, rawHeaders: H })

// An initialization as the CRS writes it: defaults for unset TX variables, scores set to 0.
const INIT: RuleSpec[] = [
  { targets: [], operator: { name: 'unconditionalMatch', argument: '' }, setvars: ['tx.paranoia=1', 'tx.methods=GET HEAD'] },
  { targets: ['&TX:threshold'], operator: { name: 'eq', argument: '0' }, setvars: ['tx.threshold=5'] },
  { targets: ['&TX:paranoia'], operator: { name: 'eq', argument: '0' }, setvars: ['tx.paranoia=9'] },
  { targets: ['TX:methods'], operator: { name: 'rx', argument: '(GET) (HEAD)' }, capture: true, msg: 'methods %{tx.1}/%{tx.2} at %{MATCHED_VAR_NAME}', setvars: ['tx.score=0', 'tx.copy=%{tx.threshold}'] }
]

t.test('the phase-1 prelude gives what running its rules on every request gives', async t => {
  const set = ruleSet([
    ...INIT,
    { targets: ['ARGS'], operator: { name: 'contains', argument: 'evil' }, setvars: ['tx.score=+%{tx.threshold}'] },
    { targets: ['TX:score'], operator: { name: 'ge', argument: '5' }, disruptive: 'deny', msg: 'score %{tx.score} of %{tx.copy}' },
    { targets: ['TX:paranoia'], operator: { name: 'eq', argument: '1' }, msg: 'level %{tx.paranoia}' }
  ])
  t.equal(set.phases[1]?.prelude, 4, 'the four initialization rules; the first that reads the request ends it')
  for (const opts of [{ mode: 'block' as const }, { mode: 'detect' as const }, { maxPayload: 2 }]) {
    const fast = new RuleEngine(set, opts)
    const slow = withoutPrelude(set, opts)
    for (const url of ['/?q=fine', '/?q=evil', '/?a=evil&b=evil', '/?q=fine']) {
      const seen = outcome(fast, get(url))
      t.same(seen, outcome(slow, get(url)), `${JSON.stringify(opts)} ${url}`)
      t.ok(seen.some(l => l.includes('"methods GET/HEAD at TX:methods"')), 'captures and macros as the rules made them')
    }
  }
  // A request's own setvars never reach the next one: the prelude's TX is shared, never written.
  const e = new RuleEngine(set, { mode: 'detect' })
  const [one, two] = [e.check(get('/?q=evil')), e.check(get('/?q=fine'))]
  t.equal(one.matches[0], two.matches[0], "the prelude's match records are shared (readonly)")
  t.not(one.matches, two.matches, 'each request has a list of its own')
  t.match(outcome(e, get('/?q=evil')).join('\n'), /score 5 of 5/)
  t.notMatch(outcome(e, get('/?q=fine')).join('\n'), /score/)
})

t.test('TX over the prelude: writes, unsets and the whole collection as without a prelude', async t => {
  // Request-driven writes over the prelude's TX (Transaction.base): a value changed in place,
  // the same value again, a new variable, an unset (and a set after it, which must come last),
  // an increment; then the whole TX read in order into tx.order, and TX:/^s/.
  const ops: Record<string, string[]> = {
    over: ['tx.paranoia=7'],
    same: ['tx.threshold=5'],
    fresh: ['tx.fresh=%{tx.threshold}'],
    unset: ['!tx.methods'],
    again: ['tx.methods=POST'],
    inc: ['tx.score=+3']
  }
  let seed = 7
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
  const names = Object.keys(ops)
  const written: RuleSpec[] = []
  for (let round = 0; round < 3; round++) {
    const order = [...names].sort(() => rand(3) - 1)
    for (const op of order) written.push({ targets: ['ARGS:op'], operator: { name: 'contains', argument: `${op}${round}` }, setvars: ops[op] })
  }
  const set = ruleSet([
    ...INIT,
    ...written,
    { targets: ['TX'], operator: { name: 'unconditionalMatch', argument: '' }, setvars: ['tx.order=%{tx.order}|%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'] },
    { targets: ['TX:/^s/'], operator: { name: 'rx', argument: '.' }, msg: '%{MATCHED_VAR_NAME}' },
    { targets: ['TX:order'], operator: { name: 'unconditionalMatch', argument: '' }, msg: '%{tx.order}' }
  ])
  t.equal(set.phases[1]?.prelude, 4)
  const fast = new RuleEngine(set, { mode: 'detect' })
  const slow = withoutPrelude(set, { mode: 'detect' })
  let unsetThenSet = 0
  let inPlace = 0
  for (let i = 0; i < 300; i++) {
    const picked: string[] = []
    for (let round = 0; round < 3; round++) for (const op of names) if (rand(3) === 0) picked.push(`${op}${round}`)
    const url = `/?op=${picked.join('-')}`
    const seen = outcome(fast, get(url))
    t.same(seen, outcome(slow, get(url)), url)
    const order = seen[seen.length - 1]
    const at = order.indexOf('TX:methods=POST')
    if (at !== -1) {
      if (at > order.indexOf('TX:copy=')) unsetThenSet++
      else inPlace++
    }
  }
  t.ok(unsetThenSet > 10, `requests where a prelude variable was unset, then set again and came last: ${unsetThenSet}`)
  t.ok(inPlace > 10, `requests where a prelude variable was set again in its place: ${inPlace}`)
  // The prelude's TX is shared, never written: a request's writes do not reach the next one.
  t.same(outcome(fast, get('/?op=over0-unset1')), outcome(slow, get('/?op=over0-unset1')))
  t.same(outcome(fast, get('/?op=')), outcome(slow, get('/?op=')))
})

t.test('a prelude rule that denies, allows or flags a bot ends the prelude before it', async t => {
  for (const last of [
    { targets: ['&TX:missing'], operator: { name: 'eq', argument: '0' }, disruptive: 'deny', status: 500, msg: 'not configured' },
    { targets: [], operator: { name: 'unconditionalMatch', argument: '' }, disruptive: 'allow' },
    { targets: [], operator: { name: 'unconditionalMatch', argument: '' }, bot: true }
  ] as RuleSpec[]) {
    const set = ruleSet([...INIT, last, { targets: ['ARGS'], operator: { name: 'contains', argument: 'evil' }, disruptive: 'deny' }])
    for (const mode of ['block', 'detect'] as const) {
      const fast = new RuleEngine(set, { mode })
      const slow = withoutPrelude(set, { mode })
      for (const url of ['/?q=evil', '/?q=fine']) t.same(outcome(fast, get(url)), outcome(slow, get(url)), `${JSON.stringify(last.disruptive ?? 'bot')} ${mode} ${url}`)
    }
  }
})

t.test('rules that read the request, jump or run code are not in the prelude', async t => {
  const tx: RuleSpec = { targets: ['&TX:a'], operator: { name: 'eq', argument: '0' }, setvars: ['tx.a=1'] }
  const prelude = (second: RuleSpec): number | undefined => ruleSet([tx, second, tx]).phases[1]?.prelude
  t.equal(prelude({ targets: ['REQUEST_HEADERS:Host'], operator: { name: 'rx', argument: 'x' } }), 1, 'a request target')
  t.equal(prelude({ targets: ['TX:a'], operator: { name: 'streq', argument: '%{REQUEST_METHOD}' } }), 1, 'a macro in the operator')
  t.equal(prelude({ targets: ['TX:a'], operator: { name: 'eq', argument: '1' }, setvars: ['tx.m=%{REQUEST_METHOD}'] }), 1, 'a setvar over request data')
  t.equal(prelude({ targets: ['TX:a'], operator: { name: 'eq', argument: '1' }, msg: '%{REMOTE_ADDR}' }), 1, 'a msg over request data')
  t.equal(prelude({ targets: ['TX:a'], operator: { name: 'eq', argument: '1' }, skipAfter: 'END' }), 1, 'a jump')
  t.equal(prelude({ targets: ['TX'], operator: { name: 'eq', argument: '1' } }), 1, 'the whole TX collection')
  t.equal(prelude({ targets: ['TX:a'], operator: { name: 'eq', argument: '1' }, setvars: ['tx.b=1'] }), 3, 'TX and constants only')
})
