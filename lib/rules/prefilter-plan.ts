import type { RegisteredCollection } from './collections.js'
import { IDENTITY } from './chain.js'
import { ALL_PARTS, partBit } from './exec.js'
import type { ExecRule, Lane, PartChain, PrefilterGroup, PrefilterPlan, RawSource, TextPart, TextSource } from './exec.js'
import type { TransformNode } from './model.js'
import { buildSets, joinSeparator, setPattern } from './prefilter.js'
import { buildUnions } from './prefilter-union.js'
import { partId } from './scan-memo.js'

/**
 * The prefilter plan of one phase, made at load: which rules and chain links the prefilter can
 * rule out, how they are grouped into RE2.Sets, and which texts those sets scan (see exec.ts
 * for the shapes, README.md here for the words).
 */

/** The collections a group's members read, each whole (undefined) or by key. */
type PartCols = Map<RegisteredCollection, Set<string> | undefined>

interface GroupDraft {
  /** `segment|separator`: the groups that may be merged. */
  stretch: string
  cols: PartCols
  separator: string
  chains: Map<number, TransformNode>
  members: ExecRule[]
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
export const SMALL_SET = 100

/**
 * Collects the members of one phase (rules and chain links, in rule order) and, once all are
 * in, makes the phase's plan.
 */
export class PrefilterPlanner {
  /** Groups by `segment|separator|parts key`: the members of a stretch that read the same values share one scan. */
  private readonly groups = new Map<string, GroupDraft>()
  /** The members that are a rule or a chain's head, not a later link: reaching one scans its group. */
  private readonly heads = new Set<ExecRule>()

  constructor (private readonly merge: boolean) {}

  /** Adds a rule or chain link (`head`: a rule, or a chain's first rule) of straight-line stretch `segment`, if the prefilter can rule it out. */
  enroll (segment: number, x: ExecRule, head: boolean): void {
    const separator = prefilterSeparator(x)
    if (separator === undefined) return
    if (head) this.heads.add(x)
    const cols: PartCols = new Map()
    addTargets(cols, x)
    const gkey = `${segment}|${separator}|${partsOf(cols).key}`
    let g = this.groups.get(gkey)
    if (g === undefined) this.groups.set(gkey, g = { stretch: `${segment}|${separator}`, cols, separator, chains: new Map(), members: [] })
    for (const c of scannedChains(x)) g.chains.set(c.id, c)
    g.members.push(x)
  }

  /** The plan; assigns every enrolled member that joined a set its group and slot. */
  plan (): PrefilterPlan {
    const groups: PrefilterGroup[] = []
    const texts = new Interned<TextSource>()
    const rawParts = new Interned<{ parts: number[], separator: string }>()
    const parts = new Interned<TextPart>()
    const partChains = new Interned<PartChain>()
    // Members are numbered across the phase's groups: one hit array serves them all (./scan.ts).
    let memberCount = 0
    const placedMembers: ExecRule[] = []
    // By group: whether a head joined one of its sets (the group is scanned whenever that rule is reached).
    const headed: boolean[] = []
    for (const g of this.merge ? mergeByChains(this.groups.values()) : this.groups.values()) {
      // The members' chains together: a member may also see another member's transformed values (an over-report, confirmed away).
      const chains = [...g.chains.values()].sort((a, b) => a.id - b.id)
      const sep = g.separator
      const { key: partsKey, parts: groupParts } = partsOf(g.cols)
      const partIds = groupParts.map(p => parts.add(`${sep}|${p.key}`, () => ({ id: partId(`${sep}|${p.key}`), col: p.col, keys: p.keys, separator: sep })))
      const raw = rawParts.add(`${sep}|${partsKey}`, () => ({ parts: partIds, separator: sep }))
      const partPairs = partIds.map(part => chains.filter(c => c.parent !== undefined).map(chain => partChains.add(`${part}|${chain.id}`, () => ({ part, chain }))))
      const pairs = partPairs.flat()
      const text = texts.add(`${raw}|${pairs.join(',')}`, () => ({ raw, pairs, parts: partIds, partPairs }))
      const sets = buildSets(g.members.map(x => setPattern(x.rule.operator.prefilter as string)), memberCount)
      // Members whose pattern could not join any set run without a prefilter.
      const placed = new Set(sets.flatMap(s => s.members))
      headed.push(g.members.some((x, i) => placed.has(memberCount + i) && this.heads.has(x)))
      g.members.forEach((x, i) => {
        if (!placed.has(memberCount + i)) return
        x.group = groups.length
        x.member = memberCount + i
        placedMembers.push(x)
      })
      groups.push({ text, sets, members: g.members.length })
      memberCount += g.members.length
    }
    const { lanes, raws, positions } = layLanes(parts.list, rawParts.list)
    const { unions, pairUnions, setCount } = buildUnions(groups, texts.list, parts.list.length, partChains.list.length, headed)
    const ordered = texts.list.map(t => inLaneOrder(t, positions))
    for (const x of placedMembers) x.partBits = targetPartBits(x, ordered[groups[x.group].text], parts.list)
    return { groups, texts: ordered, raws, parts: parts.list, partChains: partChains.list, lanes, positions, unions, pairUnions, setCount, memberCount }
  }
}

/**
 * Per target of a member, the bit of the part of its group's text that holds the target's values
 * (its collection, whole or by keys: the group reads every key a member names): the scan marks a
 * member's hits with the bits of the parts it found something in. ALL_PARTS for a target no part
 * holds (none: every prefiltered target reads a request collection the group reads).
 */
function targetPartBits (x: ExecRule, text: TextSource, parts: readonly TextPart[]): number[] {
  return x.targets.map(t => {
    const slot = text.parts.findIndex(p => parts[p].col === t.col)
    return slot === -1 ? ALL_PARTS : partBit(slot)
  })
}

/** A list whose items are added once per key: the index of an equal item, or of the new one. */
class Interned<T> {
  readonly list: T[] = []
  private readonly ids = new Map<string, number>()

  add (key: string, make: () => T): number {
    let id = this.ids.get(key)
    if (id === undefined) {
      id = this.list.length
      this.list.push(make())
      this.ids.set(key, id)
    }
    return id
  }
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
  return joinSeparator(setPattern(r.operator.prefilter))
}

/**
 * The transformation chains whose results the rule's operator sees: its chain, or with
 * multiMatch the value itself and the result of every stage.
 */
function scannedChains (x: ExecRule): TransformNode[] {
  if (!x.rule.actions.multiMatch) return [x.rule.transforms]
  return [IDENTITY, ...x.stages]
}

/**
 * A group's values as parts (its collections in registration order, each whole or some keys),
 * each with a key, and the key of them all: equal keys read the same values.
 */
function partsOf (cols: PartCols): { key: string, parts: Array<{ col: RegisteredCollection, keys: Set<string> | undefined, key: string }> } {
  const parts = [...cols].sort((a, b) => a[0].index - b[0].index).map(([col, keys]) => ({
    col,
    keys,
    key: `${col.index}:${keys === undefined ? '*' : [...keys].sort().join('\u0000')}`
  }))
  return { key: parts.map(p => p.key).join('|'), parts }
}

/** Adds the values a rule reads to a group's: a collection whole, or the keys it names. */
function addTargets (cols: PartCols, x: ExecRule): void {
  for (const t of x.targets) {
    const whole = t.spec.key === undefined || t.spec.keyPattern !== undefined
    if (!cols.has(t.col)) cols.set(t.col, whole ? undefined : new Set())
    const keys = cols.get(t.col)
    if (keys === undefined) continue
    if (whole) cols.set(t.col, undefined)
    else keys.add(t.spec.key as string)
  }
}

/** The groups of one stretch, separator and chains as one (see SMALL_SET). */
function mergeByChains (groups: Iterable<GroupDraft>): GroupDraft[] {
  const out: GroupDraft[] = []
  const merged = new Map<string, GroupDraft>()
  for (const g of groups) {
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

/**
 * One lane per separator, its parts ordered so that the parts raw sources read together are
 * neighbours (greedily: each next part is the one most often read with the last one), and
 * every raw source as the runs of neighbouring parts it covers.
 */
function layLanes (parts: readonly TextPart[], rawParts: ReadonlyArray<{ parts: number[], separator: string }>): { lanes: Lane[], raws: RawSource[], positions: number[] } {
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
  return { lanes, raws, positions: position }
}

/** A text's parts (and their pairs) in the order of their lane, so that neighbours are one stretch of its bytes. */
function inLaneOrder (t: TextSource, positions: readonly number[]): TextSource {
  const order = t.parts.map((p, i) => i).sort((a, b) => positions[t.parts[a]] - positions[t.parts[b]])
  return { raw: t.raw, pairs: t.pairs, parts: order.map(i => t.parts[i]), partPairs: order.map(i => t.partPairs[i]) }
}
