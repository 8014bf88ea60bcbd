import { getCollection } from './collections.js'
import type { RegisteredCollection } from './collections.js'
import { chainStages } from './chain.js'
import { RuleLoadError } from './errors.js'
import { isMarker } from './exec.js'
import type { ExecItem, ExecRule, ExecTarget, PhaseTable } from './exec.js'
import type { CompiledRule, Macro, Phase, RuleItem, TargetSpec } from './model.js'
import { isPureOperator } from './operators/index.js'
import { PrefilterPlanner } from './prefilter-plan.js'
import { floorOf } from './value-floor.js'

function target (spec: TargetSpec, col: RegisteredCollection): ExecTarget {
  const lookup = col.lookup !== undefined && spec.key !== undefined
  let location: string | undefined
  if (spec.count) location = spec.key === undefined ? `&${col.name}` : `&${col.name}:${spec.key}`
  else if (col.single) location = col.name
  // A lookup key is the entry's key (TX keys are lower-cased at load, as the entries' are).
  else if (lookup) location = `${col.name}:${spec.key as string}`
  return { spec, col, lookup, location }
}

/** A rule's execution form: its targets' collections resolved (unknown ones are a load error). */
function exec (rule: CompiledRule): ExecRule {
  const resolve = (name: string): RegisteredCollection => {
    const col = getCollection(name)
    if (col === undefined) throw new RuleLoadError(rule.file, rule.id === '' ? undefined : rule.id, 'targets', `unknown target "${name}"`, rule.line)
    return col
  }
  const targets = rule.targets.map(spec => target(spec, resolve(spec.collection)))
  return {
    rule,
    targets,
    exclusions: rule.exclusions.map(spec => ({ spec, col: resolve(spec.collection) })),
    collections: [...new Set(targets.map(t => t.col.name))],
    chain: rule.chain === undefined ? undefined : exec(rule.chain),
    stages: rule.actions.multiMatch ? chainStages(rule.transforms) : [],
    group: -1,
    member: -1,
    partBits: [],
    early: [],
    floor: undefined
  }
}

// XML and REQUEST_BODY_TEXT are empty in phase 1 (no body yet) and read again in phase 2.
const BODY_TWIN: Record<string, string> = { ARGS: 'ARGS_POST', ARGS_NAMES: 'ARGS_POST_NAMES', ARGS_POST: 'ARGS_POST', ARGS_POST_NAMES: 'ARGS_POST_NAMES', XML: 'XML', REQUEST_BODY_TEXT: 'REQUEST_BODY_TEXT' }

/** Collections only the body fills (their body twin is themselves): always empty in phase 1. */
const bodyOnly = (name: string): boolean => BODY_TWIN[name] === name

/**
 * The phase-1 run of an `alsoBody` rule without the targets that are always empty before the
 * body (XML, REQUEST_BODY_TEXT, ARGS_POST ...: the engine gives the body only for phase 2), which
 * its body twin reads: fewer values visited, fewer prefilter parts. `&XML` stays (its count, 0,
 * can match). Undefined when no target is left: the rule cannot match in phase 1. A rule with a
 * chain keeps at least one target or is left as it is (its head's effects must still run).
 */
function beforeBody (x: ExecRule): ExecRule | undefined {
  const targets = x.targets.filter(t => t.spec.count === true || !bodyOnly(t.col.name))
  if (targets.length === x.targets.length) return x
  if (targets.length === 0) return x.chain === undefined ? undefined : x
  // The rule itself is kept (matches name it; only the evaluator and the planner read targets).
  return { ...x, targets, collections: [...new Set(targets.map(t => t.col.name))] }
}

/**
 * The phase-2 run of an `alsoBody` rule: its argument targets moved to the body's arguments,
 * its other targets dropped (phase 1 already read them). Undefined when nothing is left.
 */
function bodyTwin (x: ExecRule): ExecRule | undefined {
  if (x.chain !== undefined) return undefined
  const targets = x.targets.flatMap(t => {
    const name = BODY_TWIN[t.col.name]
    if (name === undefined) return []
    const col = getCollection(name) as RegisteredCollection
    return [{ ...target({ ...t.spec, collection: name }, col), lookup: false }]
  })
  if (targets.length === 0) return undefined
  const exclusions = x.exclusions.flatMap(e => {
    const name = BODY_TWIN[e.col.name]
    return name === undefined ? [] : [{ spec: { ...e.spec, collection: name }, col: getCollection(name) as RegisteredCollection }]
  })
  const rule: CompiledRule = { ...x.rule, targets: targets.map(t => t.spec), exclusions: exclusions.map(e => e.spec) }
  return { ...x, rule, targets, exclusions, collections: [...new Set(targets.map(t => t.col.name))], group: -1, member: -1, partBits: [], early: [] }
}

/** Macro references that read no request data: TX and the rule's own state. */
const CONSTANT_REFS = new Set(['TX', 'RULE', 'MATCHED_VAR', 'MATCHED_VAR_NAME'])
const constantMacro = (m: Macro | undefined): boolean => m === undefined || m.parts.every(p => typeof p === 'string' || CONSTANT_REFS.has(p.collection))

/**
 * An item of the phase-1 prelude: a marker, or a rule whose head and links read only TX
 * variables by name (or nothing), with a built-in operator on a constant argument, and whose
 * actions write only TX (no ctl, hook or jump) with macros over TX alone. Started on an empty
 * TX, such rules do the same on every request. (Whether one that matches denies, allows or flags
 * a bot is seen when the prelude is run: it then ends the prelude, ./evaluate.ts.)
 */
function constantOutcome (item: ExecItem): boolean {
  if (isMarker(item)) return true
  for (let x: ExecRule | undefined = item; x !== undefined; x = x.chain) {
    const r = x.rule
    const a = r.actions
    if (x.exclusions.length > 0 || !x.targets.every(t => t.lookup && t.col.name === 'TX')) return false
    if (!isPureOperator(r.operator.name) || r.operator.argument.includes('%{')) return false
    if (a.ctls.length > 0 || a.hooks.length > 0 || a.skip > 0 || a.skipAfter !== undefined) return false
    if (!a.setvars.every(sv => constantMacro(sv.name) && constantMacro(sv.value)) || !constantMacro(r.msg) || !constantMacro(r.logdata)) return false
  }
  return true
}

/** A rule (or link) whose match changes nothing by itself: no setvar, capture or hook. */
function effectFree (x: ExecRule): boolean {
  const a = x.rule.actions
  return a.setvars.length === 0 && !a.capture && a.hooks.length === 0
}

/**
 * The table of one phase (undefined when no rule runs in it): its rules and markers in load
 * order, less `omit` (rules that can never run, ./unreachable.ts), and with `prefilter` the plan
 * of its scans (`merge`: see SMALL_SET).
 */
export function buildPhase (items: readonly RuleItem[], phase: Phase, prefilter: boolean, merge: boolean, omit?: ReadonlySet<CompiledRule>): PhaseTable | undefined {
  const out: ExecItem[] = []
  const markers = new Map<string, number>()
  const planner = new PrefilterPlanner(merge)
  // Straight-line stretches: a marker (a jump target) or a rule that can jump starts a new one.
  let segment = 0
  for (const it of items) {
    if (it.kind === 'marker') {
      // SecMarker belongs to every phase; the first one of a name wins.
      if (!markers.has(it.name)) markers.set(it.name, out.length)
      out.push({ marker: it.name })
      segment++
      continue
    }
    let x: ExecRule | undefined
    if (omit?.has(it) === true) continue
    if (it.phase === phase) x = phase === 1 && it.alsoBody ? beforeBody(exec(it)) : exec(it)
    else if (phase === 2 && it.phase === 1 && it.alsoBody) x = bodyTwin(exec(it))
    if (x === undefined) continue
    out.push(x)
    if (prefilter) {
      for (let link: ExecRule | undefined = x; link !== undefined; link = link.chain) {
        planner.enroll(segment, link, link === x)
        link.floor = floorOf(link.rule.operator)
      }
    }
    if (x.rule.actions.skipAfter !== undefined || x.rule.actions.skip > 0) segment++
  }
  if (!out.some(x => !isMarker(x))) return undefined
  const plan = planner.plan()
  for (const x of out) {
    if (isMarker(x)) continue
    let quiet = effectFree(x)
    for (let link = x.chain; link !== undefined && quiet; link = link.chain) {
      if (link.group >= 0) x.early.push(link)
      quiet = effectFree(link)
    }
  }
  const bodyTwinsOnly = phase === 2 && out.every(x => isMarker(x) || (x.rule.phase === 1 && x.rule.alsoBody))
  let prelude = 0
  if (phase === 1) while (prelude < out.length && constantOutcome(out[prelude])) prelude++
  return { bodyTwinsOnly, prelude, items: out, markers, jumps: jumpsOf(out, markers), ...plan }
}

/** PhaseTable.jumps: each skipAfter's landing (the item after its marker, when the marker comes later), -1 for the phase's end. */
function jumpsOf (items: readonly ExecItem[], markers: ReadonlyMap<string, number>): Int32Array {
  const jumps = new Int32Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const x = items[i]
    if (isMarker(x)) continue
    const target = x.rule.actions.skipAfter
    if (target === undefined) continue
    const m = markers.get(target)
    jumps[i] = m !== undefined && m > i ? m + 1 : -1
  }
  return jumps
}
