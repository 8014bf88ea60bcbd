import t from 'tap'
import type { Test } from 'tap'
import { compileRule, RuleEngine, RuleSetBuilder } from '../../../lib/rules/index.js'
import type { EngineOptions, RequestInput, RuleSpec } from '../../../lib/rules/index.js'
import { isMarker } from '../../../lib/rules/ruleset.js'
import { bodyPhaseIdle } from '../../../lib/rules/request-body.js'
import type { PhaseTable, RuleSet } from '../../../lib/rules/ruleset.js'

/** Rules with ids from 1, a marker where `markers` says (before the rule of that index). */
function ruleSet (specs: RuleSpec[], markers: Record<number, string>): RuleSet {
  const b = new RuleSetBuilder()
  specs.forEach((s, i) => {
    if (markers[i] !== undefined) b.addMarker(markers[i])
    b.add(compileRule({ id: i + 1, phase: 1, disruptive: 'pass', tags: ['set'], ...s }))
  })
  if (markers[specs.length] !== undefined) b.addMarker(markers[specs.length])
  return b.build()
}

const ids = (table: PhaseTable | undefined): string[] => (table?.items ?? []).flatMap(it => isMarker(it) ? [] : [it.rule.id])

const outcome = (e: RuleEngine, input: RequestInput): string[] =>
  e.check(input).matches.map(m => JSON.stringify([m.rule.id, m.location, m.value, m.msg, m.score]))

const get = (url: string): RequestInput => ({ method: 'GET', url, rawHeaders: ['Host', 'shop.example'] })
const evil = (id: string): RuleSpec => ({ targets: ['ARGS'], operator: { name: 'contains', argument: 'evil' }, msg: `level rule ${id}`, setvars: ['tx.score=+5'] })

/** A CRS-like file: the level set by the initialization, then guards `@lt K` that skip past the levels above it. */
function levels (extra: RuleSpec[] = [], level = 1): { specs: RuleSpec[], markers: Record<number, string> } {
  const specs: RuleSpec[] = [
    { targets: [], operator: { name: 'unconditionalMatch' }, setvars: [`tx.level=${level}`, 'tx.score=0'] },
    { targets: ['TX:level'], operator: { name: 'lt', argument: '1' }, skipAfter: 'END' }, // 2
    evil('3'),
    { targets: ['TX:level'], operator: { name: 'lt', argument: '2' }, skipAfter: 'END' }, // 4
    evil('5'),
    { targets: ['TX:level'], operator: { name: 'lt', argument: '3' }, skipAfter: 'END' }, // 6
    evil('7'),
    { targets: ['TX:level'], operator: { name: 'ge', argument: '2' }, setvars: ['tx.score=+1'] }, // 8
    { targets: ['TX:score'], operator: { name: 'ge', argument: '5' }, msg: 'score %{tx.score}' }, // 9
    ...extra
  ]
  // Ids by position here, so that a test may reorder the rules.
  return { specs: specs.map((sp, i) => ({ id: i + 1, ...sp })), markers: { 8: 'END' } }
}

/** The same engine with every rule in its tables: an exclusion of an id no rule has keeps any transaction from starting from the prelude. */
const full = (set: RuleSet, opts: EngineOptions = {}): RuleEngine => new RuleEngine(set, { ...opts, exclusions: [{ ruleId: 999999 }] })

function sameAsFull (t: Test, set: RuleSet, label: string): void {
  const fast = new RuleEngine(set, { mode: 'detect' })
  const slow = full(set, { mode: 'detect' })
  for (const url of ['/?q=evil', '/?q=fine']) t.same(outcome(fast, get(url)), outcome(slow, get(url)), `${label}: ${url}`)
}

t.test('a level fixed by the prelude drops the guards that never match and the rules the others always skip', async t => {
  const { specs, markers } = levels()
  const set = ruleSet(specs, markers)
  t.same(ids(set.phases[1]), ['1', '3', '4', '9'], 'guard 2 never matches; guard 4 always skips 5-8')
  t.same(ids(set.fullPhases[1]), ['1', '2', '3', '4', '5', '6', '7', '8', '9'])
  t.equal(set.unreachable, 5)
  sameAsFull(t, set, 'level 1')
  const three = ruleSet(levels([], 3).specs, markers)
  t.same(ids(three.phases[1]), ['1', '3', '5', '7', '8', '9'], 'level 3: the guards never match, every level runs')
  sameAsFull(t, three, 'level 3')
  // An exclusion that removes the initialization: TX:level stays unset, every level runs, from the full tables.
  const e = new RuleEngine(set, { mode: 'detect', exclusions: [{ ruleId: 1 }] })
  t.same(e.check(get('/?q=evil')).matches.map(m => m.rule.id), ['3', '5', '7', '9'])
})

t.test('nothing is dropped when the level may change or the guard may be removed', async t => {
  const kept = (extra: RuleSpec, label: string): void => {
    const { specs, markers } = levels([extra])
    const set = ruleSet(specs, markers)
    t.same(ids(set.phases[1]), ids(set.fullPhases[1]), label)
    sameAsFull(t, set, label)
  }
  kept({ targets: ['ARGS:lvl'], operator: { name: 'rx', argument: '.' }, setvars: ['tx.level=4'], phase: 2 }, 'a later setvar of the level, even in another phase')
  kept({ targets: ['ARGS:lvl'], operator: { name: 'rx', argument: '(.+)' }, capture: true, setvars: ['tx.lev%{tx.1}=4'] }, 'a name built at run time that may be it')
  kept({ targets: ['ARGS:x'], operator: { name: 'rx', argument: '.' }, hooks: [() => {}] }, 'a hook (it may set any TX variable)')
  const { specs, markers } = levels([{ targets: ['ARGS:x'], operator: { name: 'rx', argument: '.' }, setvars: ['tx.other_%{tx.0}=1'], capture: true }])
  t.same(ids(ruleSet(specs, markers).phases[1]), ['1', '3', '4', '9', '10'], 'a built name that cannot be the level changes nothing')

  const guardKept = (ctl: string, label: string): void => {
    const { specs, markers } = levels([{ targets: ['ARGS:off'], operator: { name: 'rx', argument: '.' }, ctls: [ctl], phase: 1 }])
    // The removal runs before the guards: put it first after the initialization.
    const set = ruleSet([specs[0], specs[9], ...specs.slice(1, 9)], { 9: 'END' })
    t.ok(ids(set.phases[1]).includes('6'), label)
    const fast = new RuleEngine(set, { mode: 'detect' })
    const slow = full(set, { mode: 'detect' })
    for (const url of ['/?q=evil&off=1', '/?q=evil']) t.same(outcome(fast, get(url)), outcome(slow, get(url)), `${label}: ${url}`)
  }
  guardKept('ruleRemoveById=4', 'a guard removable by id')
  guardKept('ruleRemoveTargetById=4;TX:level', 'a guard whose target may be removed')
  const { specs: s2 } = levels([{ targets: ['ARGS:off'], operator: { name: 'rx', argument: '.' }, ctls: ['ruleRemoveByTag=^set$'] }])
  t.same(ids(ruleSet(s2, { 8: 'END' }).phases[1]), ['1', '3', '4', '9', '10'], 'a tag removal that reaches the guard and every rule it skips drops them all the same')
})

t.test('a marker inside a skipped stretch keeps the rules after it', async t => {
  const { specs } = levels([{ targets: ['ARGS'], operator: { name: 'contains', argument: 'fine' }, skipAfter: 'INNER' }])
  const set = ruleSet([specs[0], specs[9], ...specs.slice(1, 9)], { 2: 'INNER', 9: 'END' })
  // 10 jumps to INNER (before rule 2 here); guard 4 skips 5 and 6 ... up to END.
  t.same(ids(set.phases[1]), ['1', '10', '3', '4', '9'])
  sameAsFull(t, set, 'inner marker before the guards')
  const inner = ruleSet(specs, { 6: 'INNER', 8: 'END' })
  t.same(ids(inner.phases[1]), ['1', '3', '4', '7', '9', '10'], 'rules after INNER (inside the skipped stretch) stay; 8 never matches')
  sameAsFull(t, inner, 'inner marker inside')
})

t.test('whether phase 2 reads only bodies is known at build, from every rule, and asking it builds no full table', async t => {
  const builtFull = (set: RuleSet): boolean => (set as unknown as { full: unknown }).full !== undefined
  const fromTables = (set: RuleSet): boolean => [set.phases[2], set.fullPhases[2]].every(table => table === undefined || table.bodyTwinsOnly)
  const header: RuleSpec = { targets: ['REQUEST_HEADERS:x-level'], operator: { name: 'contains', argument: 'evil' }, phase: 2 }
  const cases: Array<[string, RuleSpec[], boolean]> = [
    ['no phase-2 rule', [], true],
    ['a phase-2 rule on a header, behind the guard that always skips', [{ ...levels().specs[3], phase: 2, id: 10 }, { ...header, id: 11 }], false],
    ['a phase-1 rule that also reads the body', [{ targets: ['ARGS'], operator: { name: 'contains', argument: 'x' }, id: 10 }], true]
  ]
  for (const [label, extra, expected] of cases) {
    const { specs, markers } = levels(extra)
    const set = ruleSet(specs, markers)
    t.ok(set.unreachable > 0, `${label}: the full tables differ from the pruned ones`)
    t.equal(bodyPhaseIdle(set, 'GET', {}), expected, `${label}: a bodiless GET`)
    t.notOk(builtFull(set), `${label}: asking built no full table`)
    t.equal(set.phaseTwoReadsOnlyBodies, expected, label)
    t.equal(fromTables(set), expected, `${label}: as both tables say`)
  }
})

t.test('an engine with exclusions builds the tables with every rule at load, one without never', async t => {
  const builtFull = (set: RuleSet): boolean => (set as unknown as { full: unknown }).full !== undefined
  const { specs, markers } = levels()
  const plain = ruleSet(specs, markers)
  t.ok(plain.unreachable > 0, 'the full tables differ from the pruned ones')
  const engine = new RuleEngine(plain)
  engine.check(get('/?q=evil'))
  t.notOk(builtFull(plain), 'no exclusion: requests run the pruned tables, the full ones are never built')
  const excluded = ruleSet(specs, markers)
  full(excluded)
  t.ok(builtFull(excluded), 'an exclusion: built with the engine, before any request')
})
