import { isMarker } from './exec.js'
import type { ExecRule, PhaseTable, RunnableRules } from './exec.js'
import { preludeOf } from './evaluate.js'
import type { CompiledRule, Ctl, MatchContext, Macro, RuleItem } from './model.js'
import { isPureOperator } from './operators/index.js'
import { inRanges } from './transaction.js'
import { transformed, VarEntry } from './variables.js'

/**
 * Rules that can never run, found at load. The CRS guards each paranoia level's rules with
 * `SecRule TX:DETECTION_PARANOIA_LEVEL "@lt K" "...,skipAfter:END-..."`. When the phase-1
 * prelude (./evaluate.ts) sets such a variable and no rule after it writes the variable, its
 * value is the same for every request that starts from the prelude, so each guard's answer is
 * known at load: a guard that never matches is dropped, and so are the rules a guard that always
 * matches always skips (the rules above the detection level). The tables without them serve only
 * transactions that started from the prelude (Transaction.fromPrelude); any other (one an
 * exclusion touched at start) runs the full tables, so the outcome is always the same.
 *
 * A guard's skip is relied on only when no removal can take the guard out and leave a skipped
 * rule in: no `ctl:ruleRemoveById` or target removal of any rule reaches the guard, and every
 * `ctl:ruleRemoveByTag` that reaches it reaches every rule it skips.
 */

/** The rules to leave out of each phase's table, and how many in all. */
export interface Unreachable {
  omit: Array<Set<CompiledRule> | undefined>
  count: number
}

const NO_CONTEXT: MatchContext = {
  capture: false,
  setCapture: () => {},
  expand: (m: Macro) => m.source,
  matched: undefined,
  matchedFrom: 0
}

/** Every rule and chain link of a rule set, in every phase. */
function * links (items: readonly RuleItem[]): Generator<CompiledRule> {
  for (const it of items) {
    if (it.kind !== 'rule') continue
    for (let r: CompiledRule | undefined = it; r !== undefined; r = r.chain) yield r
  }
}

/** The TX names rules after the prelude write: whole names, and the literal starts of names built at run time. */
interface Written {
  names: Set<string>
  prefixes: string[]
}

const writes = (w: Written, key: string): boolean => w.names.has(key) || w.prefixes.some(p => key.startsWith(p))

/**
 * What rules outside the prelude write to TX (`header_name_%{tx.0}` writes names that start with
 * `header_name_`); undefined when some rule runs a hook (which may write any).
 */
function writtenTx (items: readonly RuleItem[], prelude: ReadonlySet<CompiledRule>): Written | undefined {
  // Captures write TX.0 to TX.9.
  const w: Written = { names: new Set(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']), prefixes: [] }
  for (const r of links(items)) {
    if (prelude.has(r)) continue
    if (r.actions.hooks.length > 0) return undefined
    for (const sv of r.actions.setvars) {
      if (sv.key !== undefined) w.names.add(sv.key)
      else {
        const head = sv.name.parts[0]
        w.prefixes.push(typeof head === 'string' ? head.toLowerCase() : '')
      }
    }
  }
  return w
}

/** Whether a guard (one TX variable by name, a built-in operator on a constant) matches the value `v`; undefined when it is not such a rule. */
function guardAnswer (x: ExecRule, written: Written, value: (key: string) => string | undefined): boolean | undefined {
  const r = x.rule
  if (x.chain !== undefined || x.exclusions.length > 0 || x.stages.length > 0 || x.targets.length !== 1) return undefined
  const t = x.targets[0]
  if (!t.lookup || t.col.name !== 'TX' || t.spec.count === true) return undefined
  const key = t.spec.key as string
  if (writes(written, key) || !isPureOperator(r.operator.name) || r.operator.argument.includes('%{')) return undefined
  const v = value(key)
  if (v === undefined) return false
  const m = r.operator.match(transformed(new VarEntry(key, key, v), r.transforms), { ...NO_CONTEXT })
  return r.negated ? !m : m
}

/** The ctl actions of every rule and link. */
function allCtls (items: readonly RuleItem[]): Ctl[] {
  const out: Ctl[] = []
  for (const r of links(items)) out.push(...r.actions.ctls)
  return out
}

/** Whether no removal can take `guard` out while leaving one of `skipped` in. */
function skipHolds (guard: CompiledRule, skipped: readonly CompiledRule[], ctls: readonly Ctl[]): boolean {
  for (const c of ctls) {
    switch (c.kind) {
      case 'ruleRemoveById':
      case 'ruleRemoveTargetById':
        if (inRanges(guard.num, c.ids)) return false
        break
      case 'ruleRemoveTargetByTag':
        if (guard.tags.some(tag => c.tag.test(tag))) return false
        break
      case 'ruleRemoveByTag':
        if (guard.tags.some(tag => c.tag.test(tag)) && !skipped.every(r => r.tags.some(tag => c.tag.test(tag)))) return false
        break
      case 'ruleEngine':
        break
    }
  }
  return true
}

/** What to leave out of `phases` (the full tables of `set`, built from `items`). */
export function unreachableRules (set: RunnableRules, items: readonly RuleItem[], phases: ReadonlyArray<PhaseTable | undefined>): Unreachable {
  const none: Unreachable = { omit: [], count: 0 }
  const first = phases[1]
  if (first === undefined || first.prelude === 0) return none
  const p = preludeOf(set, first, undefined, 403)
  const prelude = new Set<CompiledRule>()
  for (let i = 0; i < p.end; i++) {
    const it = first.items[i]
    if (!isMarker(it)) for (let r: CompiledRule | undefined = it.rule; r !== undefined; r = r.chain) prelude.add(r)
  }
  const written = writtenTx(items, prelude)
  if (written === undefined) return none
  const ctls = allCtls(items)
  const value = (key: string): string | undefined => p.outcome.txEntry(key)?.value
  const out: Unreachable = { omit: [], count: 0 }
  phases.forEach((table, phase) => {
    if (table === undefined) return
    const list = table.items
    // `skip:N` counts items: with some gone it would land elsewhere.
    if (list.some(it => !isMarker(it) && it.rule.actions.skip > 0)) return
    const omit = new Set<CompiledRule>()
    for (let i = phase === 1 ? p.end : 0; i < list.length; i++) {
      const it = list[i]
      if (isMarker(it) || omit.has(it.rule) || it.rule.phase !== phase) continue
      const answer = guardAnswer(it, written, value)
      if (answer === false) {
        omit.add(it.rule)
        continue
      }
      const target = it.rule.actions.skipAfter
      if (answer !== true || target === undefined) continue
      // Where the jump lands (PhaseTable.jumps: after its marker, or the phase's end), less the marker.
      const to = table.jumps[i]
      const stop = to === -1 ? list.length : to - 1
      // A marker inside is a jump target: the rules after it stay.
      const skipped: CompiledRule[] = []
      for (let k = i + 1; k < stop; k++) {
        const s = list[k]
        if (isMarker(s)) break
        skipped.push(s.rule)
      }
      if (skipped.some(r => r.phase !== phase) || !skipHolds(it.rule, skipped, ctls)) continue
      for (const r of skipped) omit.add(r)
    }
    if (omit.size === 0) return
    out.omit[phase] = omit
    out.count += omit.size
  })
  return out
}
