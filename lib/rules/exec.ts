import type { RegisteredCollection } from './collections.js'
import type { CompiledRule, DefaultAction, Phase, TargetExclusion, TargetSpec, TransformNode } from './model.js'
import type { PrefilterSet } from './prefilter.js'
import type { PartUnion } from './prefilter-union.js'
import type { ValueFloor } from './value-floor.js'

/**
 * The execution form of a rule set: each phase's rules with their collections resolved and
 * their prefilter plan (see README.md in this directory for the words part, lane, run,
 * stretch and bodyTwin). Built at load by phase-table.ts, read by the evaluator.
 */

/** A target with its collection resolved. */
export interface ExecTarget {
  readonly spec: TargetSpec
  readonly col: RegisteredCollection
  /** One key of a collection that can look it up (`TX:name`): read directly, not by scanning the collection. */
  readonly lookup: boolean
  /**
   * The location a match reports when it does not depend on the value's key (`&ARGS`,
   * `REQUEST_URI`, `TX:name`), made at load; undefined for `NAME:key` locations.
   */
  readonly location: string | undefined
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
  /** The rule's slot in its phase's hit array (members are numbered across the phase's groups). */
  member: number
  /**
   * With a group: per target, the bit of the group's part that holds its values (./scan.ts marks
   * a member's hits part by part), so that a target whose part the scan found nothing in is not
   * visited. Empty without a group.
   */
  partBits: readonly number[]
  /**
   * Chain links the prefilter can rule out before the head runs: every link before them has
   * no effect of its own (no setvar, capture or hook), so a chain that cannot complete is
   * skipped without evaluating anything.
   */
  early: ExecRule[]
  /**
   * With the prefilter: a test in JavaScript that rules a value out before the operator's
   * RE2 call (./value-floor.ts), or undefined.
   */
  floor: ValueFloor | undefined
}

export type ExecItem = ExecRule | { readonly marker: string }

/** One part of a prefilter text: a collection (every key, or these lookup keys), joined with a separator. */
export interface TextPart {
  /** The same for equal parts of every phase and rule set (./scan-memo.ts: a transaction's parts are kept by it). */
  readonly id: number
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
  /** The raw source's parts (indexes in `parts`), in lane order: what the result cache remembers verdicts by. */
  readonly parts: readonly number[]
  /** For each of `parts`, its pairs (indexes in `partChains`): the values its chains changed. */
  readonly partPairs: ReadonlyArray<readonly number[]>
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

/** A phase's prefilter: its groups and the pieces of the texts they scan (prefilter-plan.ts). */
export interface PrefilterPlan {
  readonly groups: readonly PrefilterGroup[]
  readonly texts: readonly TextSource[]
  readonly raws: readonly RawSource[]
  readonly parts: readonly TextPart[]
  readonly partChains: readonly PartChain[]
  readonly lanes: readonly Lane[]
  /** Each part's position in its lane (`parts` index → position in `lanes[…].parts`). */
  readonly positions: readonly number[]
  /** Each part's union of the sets that read its raw values (./prefilter-union.ts), or undefined. */
  readonly unions: ReadonlyArray<PartUnion | undefined>
  /** Each part chain's union of the sets that read the part through the chain, or undefined. */
  readonly pairUnions: ReadonlyArray<PartUnion | undefined>
  /** How many sets the phase has (their slots). */
  readonly setCount: number
  /** How many members the phase's groups have together (ExecRule.member numbers them across groups). */
  readonly memberCount: number
}

export interface PhaseTable extends PrefilterPlan {
  /**
   * Every rule is the phase-2 run of a phase-1 rule over the body's arguments (ARGS_POST,
   * ARGS_POST_NAMES): without a body the phase has nothing to look at.
   */
  readonly bodyTwinsOnly: boolean
  /**
   * Phase 1: how many leading items (the CRS's initialization) read only TX and constants, so
   * that they give the same outcome on every request: it is computed once (./evaluate.ts) and
   * each request starts from it. 0 in other phases.
   */
  readonly prelude: number
  readonly items: readonly ExecItem[]
  /** Marker name → its index in `items`. */
  readonly markers: ReadonlyMap<string, number>
  /**
   * By index in `items`, for a rule with `skipAfter`: the index after its marker, or -1 when no
   * marker of that name follows it (the jump ends the phase). Worked out at build: the CRS browser
   * GET took about 1% of its samples in the `markers` lookups of its jumps (./evaluate.ts).
   */
  readonly jumps: Int32Array
}

/**
 * What the evaluator reads of a rule set (RuleSet in ./ruleset.ts implements it): named here so
 * that evaluate.ts and unreachable.ts, which RuleSet's constructor runs, need not import ruleset.ts.
 */
export interface RunnableRules {
  readonly phases: ReadonlyArray<PhaseTable | undefined>
  readonly fullPhases: ReadonlyArray<PhaseTable | undefined>
  /**
   * Whether phase 2 runs nothing for a request without a body, whichever of its two tables the
   * transaction runs: it reads only the body (or has no rule). Known at build, so that asking it
   * (for every bodiless request) does not build `fullPhases`.
   */
  readonly phaseTwoReadsOnlyBodies: boolean
  readonly defaultActions: Readonly<Partial<Record<Phase, DefaultAction>>>
}

export function isMarker (item: ExecItem): item is { readonly marker: string } {
  return (item as { marker?: string }).marker !== undefined
}

/**
 * The bit of slot `slot` of a text source's parts in a member's hits (./scan.ts): one bit per
 * part, the 32nd shared by every part from it on (a bit set for one of them covers them all).
 */
export function partBit (slot: number): number {
  return 1 << Math.min(slot, 31)
}

/** Every part's bit: hits that do not say which part (a scan without a result cache, a DFA out of memory). */
export const ALL_PARTS = -1
