import { getCollection } from './collections.js'
import type { RegisteredCollection } from './collections.js'
import { chainStages, IDENTITY } from './chain.js'
import { RuleLoadError } from './errors.js'
import { emptySettings } from './rule-set-settings.js'
import type { RuleSetSettings } from './rule-set-settings.js'
import type { CompiledRule, DefaultAction, Phase, RuleItem, RuleSetData, TargetExclusion, TargetSpec, TransformNode } from './model.js'
import { buildSets, joinSeparator } from './prefilter.js'
import type { PrefilterSet } from './prefilter.js'

/** A target with its collection resolved. */
export interface ExecTarget {
  readonly spec: TargetSpec
  readonly col: RegisteredCollection
  /** One key of a collection that can look it up (`TX:name`): read directly, not by scanning the collection. */
  readonly lookup: boolean
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
  /** The names of the collections the targets read (for runtime target removals). */
  readonly collections: readonly string[]
  readonly chain: ExecRule | undefined
  /** Transformation stages for multiMatch (empty otherwise). */
  readonly stages: readonly TransformNode[]
  /**
   * Index of the rule's prefilter group in its phase, or -1. Chain links have their own slot:
   * a link the prefilter rules out ends the chain without reading a value.
   */
  group: number
  /** The rule's slot in its group's hit array. */
  member: number
  /**
   * Chain links the prefilter can rule out before the head runs: every link before them has
   * no effect of its own (no setvar, capture or hook), so a chain that cannot complete is
   * skipped without evaluating anything.
   */
  early: ExecRule[]
}

export type ExecItem = ExecRule | { readonly marker: string }

/** One part of a prefilter text: a collection (every key, or these lookup keys), joined with a separator. */
export interface TextPart {
  readonly col: RegisteredCollection
  readonly keys: ReadonlySet<string> | undefined
  /** `\n`, or U+FFFF for patterns that match `\n` (see joinSeparator). */
  readonly separator: string
}

/** A part through one transformation chain: the values the chain changes, each after the separator. */
export interface PartChain {
  /** Index in the phase's `parts`. */
  readonly part: number
  readonly chain: TransformNode
}

/**
 * The values some rules read, as one text: the untransformed values of its parts (`raw`),
 * then every value one of its chains changed (`pairs`: the members' chains, with multiMatch
 * the value and each stage, over each part). Built once per phase when a group first needs
 * it, and shared by every group that reads the same values through the same chains. It holds
 * every value its members read (more, when they differ in chains or exclusions: the scan may
 * over-report, never miss). Every piece (a part's raw values, a part through a chain, the raw
 * text of some parts) is built once per phase and shared by every text that has it: on clean
 * traffic chains change nothing, and most texts are the raw text of their parts.
 */
export interface TextSource {
  /** Index in the phase's `raws`. */
  readonly raw: number
  /** Indexes in the phase's `partChains`. */
  readonly pairs: readonly number[]
}

/**
 * The untransformed values of some parts: `runs` of neighbouring parts of one lane, each run
 * one contiguous stretch of the lane's bytes (positions in the lane, first and last).
 */
export interface RawSource {
  readonly lane: number
  readonly runs: ReadonlyArray<readonly [number, number]>
}

/**
 * The parts of one separator in one order. A phase's untransformed values are encoded once,
 * lane by lane, part after part; every raw source is then a few views of those bytes, not a
 * text of its own. The order puts parts that raw sources read together side by side.
 */
export interface Lane {
  readonly separator: string
  /** Part indexes, in order. */
  readonly parts: readonly number[]
}

/**
 * The prefilter of the members (rules and chain links) of one stretch of straight-line rules
 * (between markers and jumps) that read the same collections: their patterns in RE2.Sets,
 * scanned once over the text of their values in multi-line mode, where `^` and `$` also match
 * at every value boundary. A pattern that matches some value also matches the joined text,
 * so the scan can only over-report, and each reported member is then confirmed value by
 * value with its own operator. Stretches a jump skips (the CRS's higher paranoia levels) are
 * never scanned, and their texts never built.
 */
export interface PrefilterGroup {
  /** Index of the group's text in the phase's `texts`. */
  readonly text: number
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
  readonly texts: readonly TextSource[]
  readonly raws: readonly RawSource[]
  readonly parts: readonly TextPart[]
  readonly partChains: readonly PartChain[]
  readonly lanes: readonly Lane[]
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
    opts: RuleSetOptions = {},
    /** Engine settings the rule files set (SecRuleEngine, SecRequestBodyLimit …). */
    readonly settings: Readonly<RuleSetSettings> = emptySettings()
  ) {
    const byId = new Map<string, CompiledRule>()
    for (const it of items) if (it.kind === 'rule') byId.set(it.id, it)
    this.byId = byId
    const phases: Array<PhaseTable | undefined> = []
    const merge = byId.size < SMALL_SET
    for (const phase of [1, 2, 3, 4, 5] as Phase[]) phases[phase] = buildPhase(items, phase, opts.prefilter !== false, merge)
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
  const targets = rule.targets.map(spec => {
    const col = resolve(spec.collection)
    return { spec, col, lookup: col.lookup !== undefined && spec.key !== undefined }
  })
  return {
    rule,
    targets,
    exclusions: rule.exclusions.map(spec => ({ spec, col: resolve(spec.collection) })),
    collections: [...new Set(targets.map(t => t.col.name))],
    chain: rule.chain === undefined ? undefined : exec(rule.chain),
    stages: rule.actions.multiMatch ? chainStages(rule.transforms) : [],
    group: -1,
    member: -1,
    early: []
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
    return [{ spec: { ...t.spec, collection: name }, col, lookup: false }]
  })
  if (targets.length === 0) return undefined
  const exclusions = x.exclusions.flatMap(e => {
    const name = BODY_TWIN[e.col.name]
    return name === undefined ? [] : [{ spec: { ...e.spec, collection: name }, col: getCollection(name) as RegisteredCollection }]
  })
  const rule: CompiledRule = { ...x.rule, targets: targets.map(t => t.spec), exclusions: exclusions.map(e => e.spec) }
  return { ...x, rule, targets, exclusions, collections: [...new Set(targets.map(t => t.col.name))], group: -1, member: -1, early: [] }
}

/**
 * The separator to join the rule's (or chain link's) values with when the prefilter can rule
 * it out, else undefined: its operator says what it can match, it is not negated, its values
 * come from the request (not TX or MATCHED_*, which change while the phase runs, nor
 * counts), and its pattern is sound on joined values.
 */
function prefilterSeparator (x: ExecRule): string | undefined {
  const r = x.rule
  if (r.negated || r.operator.prefilter === undefined || x.targets.length === 0) return undefined
  if (!x.targets.every(t => !t.spec.count && !t.col.dynamic)) return undefined
  return joinSeparator(r.operator.prefilter)
}

/**
 * The transformation chains whose results the rule's operator sees: its chain, or with
 * multiMatch the value itself and the result of every stage.
 */
function scannedChains (x: ExecRule): TransformNode[] {
  if (!x.rule.actions.multiMatch) return [x.rule.transforms]
  return [IDENTITY, ...x.stages]
}

/** A group's values as parts (its collections in registration order, each whole or some keys) and a key: equal keys read the same values. */
function partsOf (cols: GroupDraft['cols']): { key: string, parts: Array<{ col: RegisteredCollection, keys: Set<string> | undefined }> } {
  const parts = [...cols].sort((a, b) => a[0].index - b[0].index).map(([col, keys]) => ({ col, keys }))
  const key = parts.map(p => `${p.col.index}:${p.keys === undefined ? '*' : [...p.keys].sort().join('\u0000')}`).join('|')
  return { key, parts }
}

interface GroupDraft {
  /** `segment|separator`: the groups that may be merged. */
  stretch: string
  /** The collections its members read, each whole (undefined) or by key. */
  cols: Map<RegisteredCollection, Set<string> | undefined>
  separator: string
  chains: Map<number, TransformNode>
  members: ExecRule[]
}

interface PhaseDraft {
  /** Groups by `segment|parts key`: the members of a stretch that read the same values share one scan. */
  groups: Map<string, GroupDraft>
}

function enroll (draft: PhaseDraft, segment: number, x: ExecRule, separator: string): void {
  const cols: GroupDraft['cols'] = new Map()
  addTargets(cols, x)
  const gkey = `${segment}|${separator}|${partsOf(cols).key}`
  let g = draft.groups.get(gkey)
  if (g === undefined) draft.groups.set(gkey, g = { stretch: `${segment}|${separator}`, cols, separator, chains: new Map(), members: [] })
  for (const c of scannedChains(x)) g.chains.set(c.id, c)
  g.members.push(x)
}

/** Adds the values a rule reads to a group's: a collection whole, or the keys it names. */
function addTargets (cols: GroupDraft['cols'], x: ExecRule): void {
  for (const t of x.targets) {
    const whole = t.spec.key === undefined || t.spec.keyPattern !== undefined
    if (!cols.has(t.col)) cols.set(t.col, whole ? undefined : new Set())
    const keys = cols.get(t.col)
    if (keys === undefined) continue
    if (whole) cols.set(t.col, undefined)
    else keys.add(t.spec.key as string)
  }
}

/**
 * A rule set of fewer rules than this scans its groups of the same chains together, one scan
 * per phase, stretch, separator and chains. A scan costs a native call whatever its size: a
 * small rule set over many collections (the default rules: 41 rules, 11 collection sets) pays
 * more in calls than it saves by reading only its members' values (a typical GET: 27 µs apart,
 * 19 µs merged). A large one (the CRS) keeps them apart: merged scans over more collections
 * report more patterns that matched values their rules never read, and confirming those costs
 * about what the calls save (3-13% slower merged).
 */
const SMALL_SET = 100

/** The groups of one stretch, separator and chains as one (see SMALL_SET). */
function mergeByChains (draft: PhaseDraft): GroupDraft[] {
  const out: GroupDraft[] = []
  const merged = new Map<string, GroupDraft>()
  for (const g of draft.groups.values()) {
    // Only groups whose values go through the same chains: a merged group applies every
    // member's chains to every collection it reads, which costs more than the calls it saves.
    const key = `${g.stretch}|${[...g.chains.keys()].sort((a, b) => a - b).join(',')}`
    let m = merged.get(key)
    if (m === undefined) {
      merged.set(key, m = { stretch: g.stretch, cols: new Map(), separator: g.separator, chains: new Map(), members: [] })
      out.push(m)
    }
    for (const x of g.members) addTargets(m.cols, x)
    for (const [id, c] of g.chains) m.chains.set(id, c)
    m.members.push(...g.members)
  }
  return out
}

/** A rule (or link) whose match changes nothing by itself: no setvar, capture or hook. */
function effectFree (x: ExecRule): boolean {
  const a = x.rule.actions
  return a.setvars.length === 0 && !a.capture && a.hooks.length === 0
}

function buildPhase (items: readonly RuleItem[], phase: Phase, prefilter: boolean, merge: boolean): PhaseTable | undefined {
  const out: ExecItem[] = []
  const markers = new Map<string, number>()
  const draft: PhaseDraft = { groups: new Map() }
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
    if (it.phase === phase) x = exec(it)
    else if (phase === 2 && it.phase === 1 && it.alsoBody) x = bodyTwin(exec(it))
    if (x === undefined) continue
    out.push(x)
    if (prefilter) {
      for (let link: ExecRule | undefined = x; link !== undefined; link = link.chain) {
        const separator = prefilterSeparator(link)
        if (separator !== undefined) enroll(draft, segment, link, separator)
      }
    }
    if (x.rule.actions.skipAfter !== undefined || x.rule.actions.skip > 0) segment++
  }
  if (!out.some(x => !isMarker(x))) return undefined
  const groups: PrefilterGroup[] = []
  const texts: TextSource[] = []
  const rawParts: Array<{ parts: number[], separator: string }> = []
  const parts: TextPart[] = []
  const partChains: PartChain[] = []
  const ids = new Map<string, number>()
  /** The index of `key` in `list`, adding `make()` the first time. */
  const intern = <T>(list: T[], key: string, make: () => T): number => {
    let id = ids.get(key)
    if (id === undefined) {
      id = list.length
      list.push(make())
      ids.set(key, id)
    }
    return id
  }
  for (const g of merge ? mergeByChains(draft) : draft.groups.values()) {
    // The members' chains together: a member may also see another member's transformed values (an over-report, confirmed away).
    const chains = [...g.chains.values()].sort((a, b) => a.id - b.id)
    const sep = g.separator
    const { key: partsKey, parts: groupParts } = partsOf(g.cols)
    const partIds = groupParts.map(p => intern(parts, `part|${sep}|${p.col.index}:${p.keys === undefined ? '*' : [...p.keys].sort().join('\u0000')}`, () => ({ ...p, separator: sep })))
    const raw = intern(rawParts, `raw|${sep}|${partsKey}`, () => ({ parts: partIds, separator: sep }))
    const pairs: number[] = []
    for (const part of partIds) {
      for (const chain of chains) {
        if (chain.parent !== undefined) pairs.push(intern(partChains, `pair|${part}|${chain.id}`, () => ({ part, chain })))
      }
    }
    const text = intern(texts, `text|${raw}|${pairs.join(',')}`, () => ({ raw, pairs }))
    const sets = buildSets(g.members.map(x => x.rule.operator.prefilter as string))
    // Members whose pattern could not join any set run without a prefilter.
    const placed = new Set(sets.flatMap(s => s.members))
    g.members.forEach((x, i) => {
      if (!placed.has(i)) return
      x.group = groups.length
      x.member = i
    })
    groups.push({ text, sets, members: g.members.length })
  }
  const { lanes, raws } = layLanes(parts, rawParts)
  for (const x of out) {
    if (isMarker(x)) continue
    let quiet = effectFree(x)
    for (let link = x.chain; link !== undefined && quiet; link = link.chain) {
      if (link.group >= 0) x.early.push(link)
      quiet = effectFree(link)
    }
  }
  const bodyTwinsOnly = phase === 2 && out.every(x => isMarker(x) || (x.rule.phase === 1 && x.rule.alsoBody))
  return { bodyTwinsOnly, items: out, markers, groups, texts, raws, parts, partChains, lanes }
}

/**
 * One lane per separator, its parts ordered so that the parts raw sources read together are
 * neighbours (greedily: each next part is the one most often read with the last one), and
 * every raw source as the runs of neighbouring parts it covers.
 */
function layLanes (parts: readonly TextPart[], rawParts: ReadonlyArray<{ parts: number[], separator: string }>): { lanes: Lane[], raws: RawSource[] } {
  const lanes: Lane[] = []
  const laneOf = new Map<string, number>()
  const position = new Array<number>(parts.length)
  for (const sep of [...new Set(parts.map(p => p.separator))]) {
    const mine = parts.map((p, i) => i).filter(i => parts[i].separator === sep)
    const together = (a: number, b: number): number => rawParts.filter(r => r.parts.includes(a) && r.parts.includes(b)).length
    const weight = (a: number): number => rawParts.filter(r => r.parts.includes(a)).length
    const order: number[] = []
    const left = new Set(mine)
    while (left.size > 0) {
      const last = order[order.length - 1]
      let best = -1
      let score = -1
      for (const c of left) {
        const sc = (last === undefined ? 0 : together(last, c) * 1000) + weight(c)
        if (sc > score) { best = c; score = sc }
      }
      order.push(best)
      left.delete(best)
    }
    order.forEach((p, i) => { position[p] = i })
    laneOf.set(sep, lanes.length)
    lanes.push({ separator: sep, parts: order })
  }
  const raws = rawParts.map(r => {
    const at = r.parts.map(p => position[p]).sort((a, b) => a - b)
    const runs: Array<[number, number]> = []
    for (const i of at) {
      const run = runs[runs.length - 1]
      if (run !== undefined && run[1] === i - 1) run[1] = i
      else runs.push([i, i])
    }
    return { lane: laneOf.get(r.separator) as number, runs }
  })
  return { lanes, raws }
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
    return new RuleSet([...this.items], { ...this.defaultActions }, opts, { ...this.settings, components: [...this.settings.components] })
  }
}
