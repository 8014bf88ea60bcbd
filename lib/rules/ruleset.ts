import { getCollection } from './collections.js'
import type { RegisteredCollection } from './collections.js'
import { chainStages } from './chain.js'
import { RuleLoadError } from './errors.js'
import type { CompiledRule, DefaultAction, Phase, RuleItem, RuleSetData, TargetExclusion, TargetSpec, TransformNode } from './model.js'
import { prefilterSafe, buildSets } from './prefilter.js'
import type { PrefilterSet } from './prefilter.js'

/** A target with its collection resolved. */
export interface ExecTarget {
  readonly spec: TargetSpec
  readonly col: RegisteredCollection
}

export interface ExecExclusion {
  readonly spec: TargetExclusion
  readonly col: RegisteredCollection
}

/** A rule ready to run: collections resolved, prefilter slot assigned. */
export interface ExecRule {
  readonly rule: CompiledRule
  readonly targets: readonly ExecTarget[]
  readonly exclusions: readonly ExecExclusion[]
  readonly chain: ExecRule | undefined
  /** Transformation stages for multiMatch (empty otherwise). */
  readonly stages: readonly TransformNode[]
  /** Index of the rule's prefilter group in its phase, or -1. */
  group: number
  /** The rule's slot in its group's hit array. */
  member: number
}

export type ExecItem = ExecRule | { readonly marker: string }

/** One part of a prefilter's text: a collection (every key, or these lookup keys) through a chain. */
export interface PrefilterSource {
  readonly col: RegisteredCollection
  readonly keys: ReadonlySet<string> | undefined
  readonly chain: TransformNode
  /** For a `*_NAMES` collection: the collection whose keys are read instead. */
  readonly namesOf: RegisteredCollection | undefined
}

/**
 * The prefilterable rules of a phase, scanned together: every (collection, transformation
 * chain) pair any of them targets is computed once, the distinct resulting strings are joined
 * with `\n`, and one RE2.Set scan per chunk of patterns says which rules can match at all. A
 * pattern may hit on another rule's values (another chain, another collection): that only
 * costs a confirmation, since every rule then runs its own operator on its own values. Most
 * transformations leave clean values unchanged, so the distinct strings are few: a clean
 * request is scanned about once, whatever the number of chains.
 */
export interface PrefilterGroup {
  readonly sources: readonly PrefilterSource[]
  readonly sets: readonly PrefilterSet[]
  readonly members: number
}

export interface PhaseTable {
  /**
   * Every rule is the phase-2 run of a phase-1 rule over the body's arguments (ARGS_POST,
   * ARGS_POST_NAMES): without a body the phase has nothing to look at.
   */
  readonly bodyTwinsOnly: boolean
  readonly items: readonly ExecItem[]
  /** Marker name → its index in `items`. */
  readonly markers: ReadonlyMap<string, number>
  readonly groups: readonly PrefilterGroup[]
}

export function isMarker (item: ExecItem): item is { readonly marker: string } {
  return (item as { marker?: string }).marker !== undefined
}

export interface RuleSetOptions {
  /**
   * Group rules into RE2.Set prefilters (default true). Off, every rule runs its operator on
   * every value: the same results, slower; for tests and benchmarks.
   */
  prefilter?: boolean
}

/** The runnable form of a rule set: one table per phase. */
export class RuleSet implements RuleSetData {
  readonly phases: ReadonlyArray<PhaseTable | undefined>
  readonly byId: ReadonlyMap<string, CompiledRule>

  constructor (
    readonly items: readonly RuleItem[],
    readonly defaultActions: Readonly<Partial<Record<Phase, DefaultAction>>>,
    opts: RuleSetOptions = {}
  ) {
    const byId = new Map<string, CompiledRule>()
    for (const it of items) if (it.kind === 'rule') byId.set(it.id, it)
    this.byId = byId
    const phases: Array<PhaseTable | undefined> = []
    for (const phase of [1, 2, 3, 4, 5] as Phase[]) phases[phase] = buildPhase(items, phase, opts.prefilter !== false)
    this.phases = phases
  }

  /** The rules, without markers, in load order. */
  get rules (): CompiledRule[] {
    return this.items.filter((it): it is CompiledRule => it.kind === 'rule')
  }
}

function exec (rule: CompiledRule): ExecRule {
  const where = { file: rule.file, id: rule.id === '' ? undefined : rule.id }
  const resolve = (name: string): RegisteredCollection => {
    const col = getCollection(name)
    if (col === undefined) throw new RuleLoadError(where.file, where.id, 'targets', `unknown target "${name}"`, rule.line)
    return col
  }
  return {
    rule,
    targets: rule.targets.map(spec => ({ spec, col: resolve(spec.collection) })),
    exclusions: rule.exclusions.map(spec => ({ spec, col: resolve(spec.collection) })),
    chain: rule.chain === undefined ? undefined : exec(rule.chain),
    stages: rule.actions.multiMatch ? chainStages(rule.transforms) : [],
    group: -1,
    member: -1
  }
}

const BODY_TWIN: Record<string, string> = { ARGS: 'ARGS_POST', ARGS_NAMES: 'ARGS_POST_NAMES', ARGS_POST: 'ARGS_POST', ARGS_POST_NAMES: 'ARGS_POST_NAMES' }

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
    return [{ spec: { ...t.spec, collection: name }, col }]
  })
  if (targets.length === 0) return undefined
  const exclusions = x.exclusions.flatMap(e => {
    const name = BODY_TWIN[e.col.name]
    return name === undefined ? [] : [{ spec: { ...e.spec, collection: name }, col: getCollection(name) as RegisteredCollection }]
  })
  const rule: CompiledRule = { ...x.rule, targets: targets.map(t => t.spec), exclusions: exclusions.map(e => e.spec) }
  return { ...x, rule, targets, exclusions, group: -1, member: -1 }
}

function prefilterable (x: ExecRule): boolean {
  const r = x.rule
  return !r.negated && !r.actions.multiMatch && r.operator.prefilter !== undefined && x.targets.length > 0 &&
    x.targets.every(t => !t.spec.count && !t.col.dynamic) && prefilterSafe(r.operator.prefilter)
}

interface GroupDraft {
  /** Sources by `collection index:chain id`. */
  sources: Map<string, { col: RegisteredCollection, chain: TransformNode, keys: Set<string> | undefined }>
  rules: ExecRule[]
}

function buildPhase (items: readonly RuleItem[], phase: Phase, prefilter: boolean): PhaseTable | undefined {
  const out: ExecItem[] = []
  const markers = new Map<string, number>()
  const draft: GroupDraft = { sources: new Map(), rules: [] }
  for (const it of items) {
    if (it.kind === 'marker') {
      // SecMarker belongs to every phase; the first one of a name wins.
      if (!markers.has(it.name)) markers.set(it.name, out.length)
      out.push({ marker: it.name })
      continue
    }
    let x: ExecRule | undefined
    if (it.phase === phase) x = exec(it)
    else if (phase === 2 && it.phase === 1 && it.alsoBody) x = bodyTwin(exec(it))
    if (x === undefined) continue
    out.push(x)
    if (!prefilter || !prefilterable(x)) continue
    draft.rules.push(x)
    const chain = x.rule.transforms
    for (const t of x.targets) {
      const whole = t.spec.key === undefined || t.spec.keyPattern !== undefined
      const id = `${t.col.index}:${chain.id}`
      const src = draft.sources.get(id)
      if (src === undefined) {
        draft.sources.set(id, { col: t.col, chain, keys: whole ? undefined : new Set([t.spec.key as string]) })
      } else if (src.keys !== undefined) {
        if (whole) src.keys = undefined
        else src.keys.add(t.spec.key as string)
      }
    }
  }
  if (!out.some(x => !isMarker(x))) return undefined
  const groups: PrefilterGroup[] = []
  if (draft.rules.length > 0) {
    const sets = buildSets(draft.rules.map(x => x.rule.operator.prefilter as string))
    // Rules whose pattern could not join any set run without a prefilter.
    const placed = new Set(sets.flatMap(s => s.members))
    draft.rules.forEach((x, i) => {
      if (!placed.has(i)) return
      x.group = 0
      x.member = i
    })
    const sources = [...draft.sources.values()].map(s => ({ ...s, namesOf: s.col.namesOf === undefined ? undefined : getCollection(s.col.namesOf) }))
    groups.push({ sources, sets, members: draft.rules.length })
  }
  const bodyTwinsOnly = phase === 2 && out.every(x => isMarker(x) || (x.rule.phase === 1 && x.rule.alsoBody))
  return { bodyTwinsOnly, items: out, markers, groups }
}

/**
 * Collects rules and markers from any number of loaders, checks id uniqueness, and builds
 * the RuleSet. Loaders for other formats add `CompiledRule`s (from `compileRule` or their
 * own) here.
 */
export class RuleSetBuilder {
  readonly items: RuleItem[] = []
  readonly defaultActions: Partial<Record<Phase, DefaultAction>> = {}
  private readonly ids = new Map<string, CompiledRule>()

  add (rule: CompiledRule): this {
    if (rule.id === '') throw new RuleLoadError(rule.file, undefined, 'id', 'a rule needs an id (only chain links have none)', rule.line)
    const first = this.ids.get(rule.id)
    if (first !== undefined) {
      throw new RuleLoadError(rule.file, rule.id, 'id', `duplicate id, first defined in ${first.file}${first.line === undefined ? '' : `:${first.line}`}`, rule.line)
    }
    this.ids.set(rule.id, rule)
    this.items.push(rule)
    return this
  }

  addMarker (name: string): this {
    this.items.push({ kind: 'marker', name })
    return this
  }

  has (id: string): boolean {
    return this.ids.has(id)
  }

  /** Removes the rules `drop` selects (SecRuleRemoveById and friends); returns how many. */
  remove (drop: (rule: CompiledRule) => boolean): number {
    let n = 0
    for (let i = this.items.length - 1; i >= 0; i--) {
      const it = this.items[i]
      if (it.kind === 'rule' && drop(it)) {
        this.items.splice(i, 1)
        this.ids.delete(it.id)
        n++
      }
    }
    return n
  }

  /** Replaces a rule in place (SecRuleUpdateTargetById / ActionById). */
  replace (id: string, next: CompiledRule): void {
    const i = this.items.findIndex(it => it.kind === 'rule' && it.id === id)
    if (i === -1) throw new Error(`no rule ${id}`)
    this.items[i] = next
    this.ids.set(id, next)
  }

  setDefaultAction (phase: Phase, action: DefaultAction): this {
    this.defaultActions[phase] = action
    return this
  }

  build (opts: RuleSetOptions = {}): RuleSet {
    return new RuleSet([...this.items], { ...this.defaultActions }, opts)
  }
}
