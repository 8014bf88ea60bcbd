import { BUILTIN_SLOTS, collectionCount, getCollection, isBodySlot } from './collections.js'
import type { BuiltinSlots, RegisteredCollection } from './collections.js'
import type { BodyInput, RequestInput } from './input.js'
import { expandMacro } from './macro.js'
import type { CompiledRule, HookTransaction, IdRange, Macro, MacroRef, MatchContext, Phase, TargetExclusion } from './model.js'
import type { Regex } from './regex.js'
import { RequestData } from './request-data.js'
import type { RuleLimits } from './request-data.js'
import { VarEntry } from './variables.js'

export type EngineMode = 'block' | 'detect' | 'off'

/** One rule (with its chain) that matched. */
export interface RuleMatch {
  rule: CompiledRule
  /** Where the first matched value was: `ARGS:q`, `REQUEST_HEADERS:User-Agent`, `&ARGS`. */
  location: string
  /** That value as the request had it (before the rule's transformations). */
  value: string
  /** The text the operator matched, when the operator knows it. */
  matched: string | undefined
  /** msg and logdata, expanded after the whole chain matched. */
  msg: string
  logdata: string
  /** Whether the rule's disruptive action was a deny (or drop, or a block that means deny). */
  deny: boolean
  /** Whether the match is logged (not `nolog`). */
  log: boolean
  /** The anomaly score the rule added (sum of `=+` on TX variables named *anomaly_score*). */
  score: number
}

export interface Interruption {
  /** The rule that denied; undefined when a limit did (limitAction 'deny'). */
  rule: CompiledRule | undefined
  status: number
}

interface TargetRemoval {
  ids?: IdRange[]
  tag?: Regex
  target: TargetExclusion
}

/**
 * The state of one request through the rule set: its collections, TX, the MATCHED_* variables,
 * removals made by `ctl` and exclusions, the matches and the outcome. Also the MatchContext
 * operators see, and what hooks get.
 */
export class Transaction implements MatchContext, HookTransaction {
  readonly req: RequestData
  readonly cols: BuiltinSlots = BUILTIN_SLOTS
  mode: EngineMode
  phase: Phase = 1
  readonly txVars = new Map<string, string>()
  readonly matches: RuleMatch[] = []
  interrupted: Interruption | undefined = undefined
  /** `allow` seen: 'phase' ends the current phase, 'request' every later one too. */
  allowed: 'phase' | 'request' | undefined = undefined
  bot = false
  /** The rule being evaluated (for %{rule.*} macros). */
  rule: CompiledRule | undefined = undefined

  // MatchContext
  capture = false
  matched: string | undefined = undefined
  /** Set by the engine to its maxPayload: shorter values need no matched text. */
  matchedFrom: number | undefined = undefined

  // MATCHED_VAR / MATCHED_VAR_NAME / MATCHED_VARS of the current rule
  matchedVar = ''
  matchedVarName = ''
  readonly matchedVars: Array<{ name: string, value: string }> = []

  removedIds: IdRange[] | undefined = undefined
  removedTags: Regex[] | undefined = undefined
  removedTargets: TargetRemoval[] | undefined = undefined
  /** Score added by setvars during the current rule. */
  scoreAcc = 0

  /** Entries per collection slot, built on first use. */
  private readonly built: Array<VarEntry[] | undefined>
  /** Prefilter hits per group of the current phase (undefined: not scanned yet). */
  groupHits: Array<Uint8Array | undefined> = []

  constructor (input: RequestInput, limits: RuleLimits, mode: EngineMode) {
    this.req = new RequestData(input, limits)
    this.mode = mode
    this.built = new Array(collectionCount())
  }

  /** The entries of a collection (a fresh list for dynamic collections). */
  collection (col: RegisteredCollection): VarEntry[] {
    if (col.dynamic) return col.build(this)
    let list = this.built[col.index]
    if (list === undefined) {
      list = col.build(this)
      this.built[col.index] = list
    }
    return list
  }

  /** Phase 2: the body arrives; collections that depend on it are rebuilt on next use. */
  setBody (body: BodyInput | undefined): void {
    this.req.setBody(body)
    for (let i = 0; i < this.built.length; i++) {
      if (this.built[i] !== undefined && isBodySlot(i)) this.built[i] = undefined
    }
  }

  startPhase (phase: Phase, groups: number): void {
    this.phase = phase
    if (this.allowed === 'phase') this.allowed = undefined
    this.groupHits = groups === 0 ? [] : new Array(groups)
  }

  setCapture (index: number, value: string): void {
    this.txVars.set(String(index), value)
  }

  getTx (name: string): string | undefined {
    return this.txVars.get(name.toLowerCase())
  }

  setTx (name: string, value: string): void {
    this.txVars.set(name.toLowerCase(), value)
  }

  txEntries (): VarEntry[] {
    const out: VarEntry[] = []
    for (const [k, v] of this.txVars) out.push(new VarEntry(k, k, v))
    return out
  }

  expand (macro: Macro): string {
    return expandMacro(macro, this.resolveRef)
  }

  private readonly resolveRef = (ref: MacroRef): string => {
    const key = ref.key
    switch (ref.collection) {
      case 'TX': return key === undefined ? '' : this.txVars.get(key.toLowerCase()) ?? ''
      case 'MATCHED_VAR': return this.matchedVar
      case 'MATCHED_VAR_NAME': return this.matchedVarName
      case 'RULE': return ruleField(this.rule, key)
      default: {
        const col = getCollection(ref.collection)
        if (col === undefined) return ''
        const entries = this.collection(col)
        if (key === undefined) return entries.length > 0 ? entries[0].value : ''
        const k = col.caseless ? key.toLowerCase() : key
        for (const e of entries) if (e.lkey === k) return e.value
        return ''
      }
    }
  }

  /** Whether a ctl or an exclusion removed this rule for this request. */
  isRemoved (rule: CompiledRule): boolean {
    const ids = this.removedIds
    if (ids !== undefined && inRanges(rule.num, ids)) return true
    const tags = this.removedTags
    if (tags !== undefined && rule.tags.some(t => tags.some(re => re.test(t)))) return true
    return false
  }

  removeIds (ids: IdRange[]): void {
    this.removedIds = (this.removedIds ?? []).concat(ids)
  }

  removeTag (tag: Regex): void {
    (this.removedTags ??= []).push(tag)
  }

  removeTarget (removal: TargetRemoval): void {
    (this.removedTargets ??= []).push(removal)
  }

  /** Targets removed for this rule at runtime (ctl:ruleRemoveTarget*, exclusions). */
  runtimeExclusions (rule: CompiledRule): TargetExclusion[] | undefined {
    const list = this.removedTargets
    if (list === undefined) return undefined
    let out: TargetExclusion[] | undefined
    for (const r of list) {
      if ((r.ids !== undefined && inRanges(rule.num, r.ids)) || (r.tag !== undefined && rule.tags.some(t => (r.tag as Regex).test(t)))) {
        (out ??= []).push(r.target)
      }
    }
    return out
  }
}

export function inRanges (num: number, ranges: readonly IdRange[]): boolean {
  for (const r of ranges) if (num >= r.from && num <= r.to) return true
  return false
}

function ruleField (rule: CompiledRule | undefined, key: string | undefined): string {
  if (rule === undefined || key === undefined) return ''
  switch (key.toLowerCase()) {
    case 'id': return rule.id
    case 'severity': return rule.severity ?? ''
    case 'msg': return rule.msg?.source ?? ''
    case 'logdata': return rule.logdata?.source ?? ''
    default: return rule.meta[key.toLowerCase()] ?? ''
  }
}
