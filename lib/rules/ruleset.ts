import { RuleLoadError } from './errors.js'
import type { PhaseTable, RunnableRules } from './exec.js'
import type { CompiledRule, DefaultAction, Phase, RuleItem, RuleSetData } from './model.js'
import { buildPhase } from './phase-table.js'
import { SMALL_SET } from './prefilter-plan.js'
import { emptySettings } from './rule-set-settings.js'
import { unreachableRules } from './unreachable.js'
import type { RuleSetSettings } from './rule-set-settings.js'

export type { ExecExclusion, ExecItem, ExecRule, ExecTarget, Lane, PartChain, PhaseTable, PrefilterGroup, PrefilterPlan, RawSource, RunnableRules, TextPart, TextSource } from './exec.js'
export { isMarker } from './exec.js'

export interface RuleSetOptions {
  /**
   * Group rules into RE2.Set prefilters (default true). Off, every rule runs its operator on
   * every value: the same results, slower; for tests and benchmarks.
   */
  prefilter?: boolean
}

/** Phase slots 0–5 (0 unused), so that `phases[n]` is phase n. */
const PHASES = [0, 1, 2, 3, 4, 5] as const

/** The runnable form of a rule set: one table per phase. */
export class RuleSet implements RuleSetData, RunnableRules {
  /** The tables a transaction that started from the phase-1 prelude runs: without the rules that can never run then (./unreachable.ts). */
  readonly phases: ReadonlyArray<PhaseTable | undefined>
  /** How many rules `phases` leaves out. */
  readonly unreachable: number
  readonly byId: ReadonlyMap<string, CompiledRule>
  readonly phaseTwoReadsOnlyBodies: boolean
  private readonly omit: ReadonlyArray<ReadonlySet<CompiledRule> | undefined>
  private full: ReadonlyArray<PhaseTable | undefined> | undefined
  private readonly prefilter: boolean
  private readonly merge: boolean

  constructor (
    readonly items: readonly RuleItem[],
    readonly defaultActions: Readonly<Partial<Record<Phase, DefaultAction>>>,
    opts: RuleSetOptions = {},
    /** Engine settings the rule files set (SecRuleEngine, SecRequestBodyLimit …). */
    readonly settings: Readonly<RuleSetSettings> = emptySettings()
  ) {
    const byId = new Map<string, CompiledRule>()
    for (const it of items) if (it.kind === 'rule') byId.set(it.id, it)
    this.byId = byId
    this.prefilter = opts.prefilter !== false
    this.merge = byId.size < SMALL_SET
    // What can never run is found on tables without prefilter plans: no RE2.Set is built for a table no request may use.
    const plain = PHASES.map(phase => phase === 0 ? undefined : buildPhase(items, phase, false, this.merge))
    const { omit, count } = unreachableRules(this, items, plain)
    this.unreachable = count
    this.omit = omit
    this.phases = PHASES.map(phase => (omit[phase] === undefined ? undefined : this.table(phase, omit[phase])) ?? this.table(phase))
    this.full = count === 0 ? this.phases : undefined
    // From `plain`, which holds every rule as the full table does: reading `fullPhases` here would
    // build its RE2 sets and unions on the first bodiless request (1 s at PL4 under the CRS, which
    // held up every request that came with it).
    const readsOnlyBodies = (table: PhaseTable | undefined): boolean => table === undefined || table.bodyTwinsOnly
    this.phaseTwoReadsOnlyBodies = readsOnlyBodies(this.phases[2]) && readsOnlyBodies(plain[2])
  }

  /** Every rule: the tables of a transaction that did not start from the prelude (an exclusion touched it), built on first use. */
  get fullPhases (): ReadonlyArray<PhaseTable | undefined> {
    this.full ??= PHASES.map(phase => this.omit[phase] === undefined ? this.phases[phase] : this.table(phase))
    return this.full
  }

  private table (phase: number, omit?: ReadonlySet<CompiledRule>): PhaseTable | undefined {
    return phase === 0 ? undefined : buildPhase(this.items, phase as Phase, this.prefilter, this.merge, omit)
  }

  /** The rules, without markers, in load order. */
  get rules (): CompiledRule[] {
    return this.items.filter((it): it is CompiledRule => it.kind === 'rule')
  }
}

/**
 * Collects rules and markers from any number of loaders, checks id uniqueness, and builds
 * the RuleSet. Loaders for other formats add `CompiledRule`s (from `compileRule` or their
 * own) here.
 */
export class RuleSetBuilder {
  readonly items: RuleItem[] = []
  readonly defaultActions: Partial<Record<Phase, DefaultAction>> = {}
  readonly settings: RuleSetSettings = emptySettings()
  /** Rules removed so far, by `remove` and by removals that also apply to later rules. */
  removed = 0
  /** Rules the last rule set built leaves out because they can never run (RuleSet.unreachable). */
  unreachable = 0
  private readonly removals: Array<(rule: CompiledRule) => boolean> = []
  private readonly ids = new Map<string, CompiledRule>()

  add (rule: CompiledRule): this {
    if (this.removals.some(drop => drop(rule))) {
      this.removed++
      return this
    }
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

  get (id: string): CompiledRule | undefined {
    return this.ids.get(id)
  }

  /**
   * Removes the rules `drop` selects (SecRuleRemoveById and friends); returns how many. With
   * `later`, rules added afterwards that it selects are dropped too (counted in `removed`), so
   * a removal works whatever the load order.
   */
  remove (drop: (rule: CompiledRule) => boolean, later = false): number {
    if (later) this.removals.push(drop)
    let n = 0
    for (let i = this.items.length - 1; i >= 0; i--) {
      const it = this.items[i]
      if (it.kind === 'rule' && drop(it)) {
        this.items.splice(i, 1)
        this.ids.delete(it.id)
        n++
      }
    }
    this.removed += n
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
    const set = new RuleSet([...this.items], { ...this.defaultActions }, opts, { ...this.settings, components: [...this.settings.components] })
    this.unreachable = set.unreachable
    return set
  }
}
