import { BUILTIN_SLOTS, collectionCount, getCollection, isBodySlot } from './collections.js'
import type { BuiltinSlots, CollectionReader, RegisteredCollection } from './collections.js'
import type { BodyInput, RequestInput } from './input.js'
import { expandMacro } from './macro.js'
import type { CompiledRule, HookTransaction, IdRange, Macro, MacroRef, MatchContext, Phase, TargetExclusion } from './model.js'
import type { Regex } from './regex.js'
import { RequestData } from './request-data.js'
import type { ResponseData } from './response-data.js'
import type { ResultCache } from './result-cache.js'
import type { DetectionMemo } from './detection-memo.js'
import type { TxScanMemo } from './scan-memo.js'
import type { RuleLimits } from './request-data.js'
import type { EngineMode } from './rule-set-settings.js'
import { VarEntry } from './variables.js'

export type { EngineMode } from './rule-set-settings.js'

/** The TX of every transaction that has set no variable: never written (see Transaction.ownVars). */
const NO_VARS = new Map<string, VarEntry>()

/** One rule (with its chain) that matched. */
export interface RuleMatch {
  readonly rule: CompiledRule
  /** Where the first matched value was: `ARGS:q`, `REQUEST_HEADERS:User-Agent`, `&ARGS`. */
  readonly location: string
  /** That value as the request had it (before the rule's transformations). */
  readonly value: string
  /** The text the operator matched, when the operator knows it. */
  readonly matched: string | undefined
  /** msg and logdata, expanded after the whole chain matched. */
  readonly msg: string
  readonly logdata: string
  /** Whether the rule's disruptive action was a deny (or drop, or a block that means deny). */
  readonly deny: boolean
  /** The rule's disruptive action, `block` resolved by SecDefaultAction (`pass` without one). */
  readonly disruptive: string
  /** Whether this match interrupted the request (a deny in block mode). */
  readonly denied: boolean
  /** Whether the match is logged (not `nolog`). */
  readonly log: boolean
  /** The anomaly score the rule added (sum of `=+` on TX variables named *anomaly_score*). */
  readonly score: number
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
export class Transaction implements MatchContext, HookTransaction, CollectionReader {
  readonly req: RequestData
  /** The response, from phase 3 on (./response.ts). */
  response: ResponseData | undefined = undefined
  readonly cols: BuiltinSlots = BUILTIN_SLOTS
  /** The engine's prefilter results remembered across requests (./result-cache.ts), when on. */
  resultCache: ResultCache | undefined = undefined
  /** With a result cache: the prefilter's parts, kept from phase to phase (./scan-memo.ts). */
  scanMemo: TxScanMemo | undefined = undefined
  mode: EngineMode
  phase: Phase = 1
  /**
   * TX, keys lower-cased, each variable as the entry rules read (so a rule reading `TX:name`
   * costs a map read or two, and an unchanged variable keeps its transformation cache): this
   * request's own variables, over `base`. Changed only through setVar / unsetVar / setTx /
   * setCapture, which keep the TX list current.
   */
  private vars: Map<string, VarEntry> = NO_VARS
  /**
   * TX as the phase-1 prelude left it, for a transaction that adopted it: shared by every such
   * transaction and never changed, with `vars` holding only this request's writes over it (a
   * variable's place is its place here; a new one comes after). Copying it into a map of its own
   * was 44 inserts and about 10 KB per CRS request (heap sampling, PL1 browser GET), and most
   * requests write a few variables. NO_VARS otherwise.
   */
  private base: Map<string, VarEntry> = NO_VARS
  matches: RuleMatch[] = []
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

  /** libinjection's verdicts remembered by the result cache, when on. */
  get detections (): DetectionMemo | undefined {
    return this.resultCache?.detections
  }

  // MATCHED_VAR / MATCHED_VAR_NAME / MATCHED_VARS of the current rule
  matchedVar = ''
  matchedVarName = ''
  /**
   * How many values the current rule (with its chain) matched so far. Their names (`ARGS:q`) and
   * values live in two arrays reused from rule to rule; entries are made only for a rule that
   * reads MATCHED_VARS (few do), not for every match.
   */
  matchedCount = 0
  // Made on the first match (the first read of MATCHED_VARS): a clean request makes none (96 bytes).
  private mvNames: string[] | undefined = undefined
  private mvValues: string[] | undefined = undefined
  private mvEntries: VarEntry[] | undefined = undefined

  /** Started from the phase-1 prelude: the rule set's tables without unreachable rules apply (./unreachable.ts). */
  fromPrelude = false

  /** The current rule's first match (its record's location, value and matched text): set once per rule. */
  firstSet = false
  firstLocation = ''
  firstValue = ''
  firstMatched: string | undefined = undefined

  removedIds: IdRange[] | undefined = undefined
  removedTags: Regex[] | undefined = undefined
  removedTargets: TargetRemoval[] | undefined = undefined
  /** The collections `removedTargets` touch: a rule reading none of them needs no lookup. */
  private removedCols: Set<string> | undefined = undefined
  /** Bumped by every change to TX (setTx, setCapture, setvar): the TX list is rebuilt after one. */
  txVersion = 0
  private txList: VarEntry[] | undefined = undefined
  private txListVersion = -1
  /** Score added by setvars during the current rule. */
  scoreAcc = 0

  /** Entries per collection slot, built on first use. */
  private readonly built: Array<VarEntry[] | undefined>

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
    // Still no body (a GET): the body's collections would be rebuilt as they are, and their
    // entries would lose the transformations already computed.
    if (body === undefined && this.req.body === undefined) return
    this.req.setBody(body)
    for (let i = 0; i < this.built.length; i++) {
      if (this.built[i] !== undefined && isBodySlot(i)) this.built[i] = undefined
    }
  }

  /** Drops a collection's built entries: the response's arrive after the request phases. */
  forget (col: RegisteredCollection): void {
    this.built[col.index] = undefined
  }

  startPhase (phase: Phase): void {
    this.phase = phase
    if (this.allowed === 'phase') this.allowed = undefined
  }

  /** A new rule starts: no matched values yet. */
  clearMatchedVars (): void {
    this.matchedCount = 0
    // Setting an array's length is a call into V8's runtime even when it changes nothing: most
    // rules never made an entry.
    if (this.mvEntries !== undefined && this.mvEntries.length !== 0) this.mvEntries.length = 0
  }

  /** One more matched value of the current rule: MATCHED_VAR, MATCHED_VAR_NAME and MATCHED_VARS. */
  addMatchedVar (name: string, value: string): void {
    this.matchedVar = value
    this.matchedVarName = name
    const n = this.matchedCount
    ;(this.mvNames ??= [])[n] = name
    ;(this.mvValues ??= [])[n] = value
    this.matchedCount = n + 1
  }

  /** MATCHED_VARS as entries (key = the variable's name, value = the matched value), made on first read. */
  matchedEntries (): readonly VarEntry[] {
    const out = this.mvEntries ??= []
    if (out.length === this.matchedCount) return out
    const names = this.mvNames as string[]
    const values = this.mvValues as string[]
    for (let i = out.length; i < this.matchedCount; i++) out.push(new VarEntry(names[i], names[i].toLowerCase(), values[i]))
    return out
  }

  /** Nothing has happened yet: no TX, no match, no removal (phase 1 may start from its prelude, ./evaluate.ts). */
  pristine (): boolean {
    return this.vars.size === 0 && this.base.size === 0 && this.matches.length === 0 && this.removedIds === undefined && this.removedTags === undefined && this.removedTargets === undefined
  }

  /**
   * Takes over the outcome of the phase-1 prelude (another transaction that ran it): its TX
   * (shared as the base under this request's own, see `base`), its match records (shared: a
   * record is readonly), and MATCHED_* as its last rule left them.
   */
  adoptPrelude (from: Transaction): void {
    this.base = from.base === NO_VARS ? from.vars : from.mergedVars()
    this.txVersion++
    // The prelude's match records themselves (readonly, the same on every request): 23 copies a
    // CRS request, 2.7 KB, before.
    this.matches = from.matches.slice()
    this.clearMatchedVars()
    for (let i = 0; i < from.matchedCount; i++) this.addMatchedVar((from.mvNames as string[])[i], (from.mvValues as string[])[i])
    this.matchedVar = from.matchedVar
    this.matchedVarName = from.matchedVarName
    this.rule = from.rule
    this.fromPrelude = true
  }

  /** TX as a map of its own: most transactions never set a variable, and share the empty one until they do. */
  private ownVars (): Map<string, VarEntry> {
    if (this.vars === NO_VARS) this.vars = new Map()
    return this.vars
  }

  /** TX variable `key` (lower-cased): this request's value, else the prelude's. */
  private tx (key: string): VarEntry | undefined {
    const e = this.vars.get(key)
    return e !== undefined || this.base === NO_VARS ? e : this.base.get(key)
  }

  /** TX in one map, in its order: the prelude's variables in their places (this request's values), then the new ones. */
  private mergedVars (): Map<string, VarEntry> {
    const out = new Map<string, VarEntry>()
    for (const e of this.mergedEntries()) out.set(e.lkey, e)
    return out
  }

  /**
   * TX's entries in order (see mergedVars). By forEach, with an entry's key from its lkey (setVar
   * makes it the map's key): for-of loops over the maps' entries, which make a [key, value] pair
   * and an iterator result per variable where V8 has not optimized the loop, allocated 6.6 KB
   * more per CRS PL4 browser GET and 12.2 KB more per form (four lists a request, some 70
   * variables each; bench/crs-alloc.ts's rows).
   */
  private mergedEntries (): VarEntry[] {
    const out: VarEntry[] = []
    const base = this.base
    const vars = this.vars
    if (base === NO_VARS) {
      vars.forEach(e => { out.push(e) })
      return out
    }
    base.forEach(e => { out.push(vars.get(e.lkey) ?? e) })
    if (vars.size > 0) vars.forEach(e => { if (!base.has(e.lkey)) out.push(e) })
    return out
  }

  /** Sets TX variable `key` (already lower-cased). */
  setVar (key: string, value: string): void {
    const e = this.tx(key)
    if (e !== undefined && e.value === value) return
    this.ownVars().set(key, new VarEntry(key, key, value))
    this.txVersion++
  }

  unsetVar (key: string): void {
    // Rare (the CRS unsets nothing the prelude set): TX becomes one map of its own again, so
    // that a variable set again after comes last, as in a map.
    if (this.base !== NO_VARS && this.base.has(key)) {
      this.vars = this.mergedVars()
      this.base = NO_VARS
    }
    if (this.vars.delete(key)) this.txVersion++
  }

  setCapture (index: number, value: string): void {
    this.setVar(String(index), value)
  }

  getTx (name: string): string | undefined {
    return this.tx(name.toLowerCase())?.value
  }

  setTx (name: string, value: string): void {
    this.setVar(name.toLowerCase(), value)
  }

  /** The entry of TX variable `key` (lower-case), or undefined when it is unset. */
  txEntry (key: string): VarEntry | undefined {
    return this.tx(key)
  }

  /** Every TX variable, as entries: the list is rebuilt only after TX changed. */
  txEntries (): VarEntry[] {
    if (this.txList !== undefined && this.txListVersion === this.txVersion) return this.txList
    const out = this.mergedEntries()
    this.txList = out
    this.txListVersion = this.txVersion
    return out
  }

  expand (macro: Macro): string {
    return expandMacro(macro, this.resolveRef ??= ref => this.resolve(ref))
  }

  /** resolve bound to this transaction, made on the first macro expanded: a clean request expands none (a closure and its context, about 90 bytes). */
  private resolveRef: ((ref: MacroRef) => string) | undefined = undefined

  private resolve (ref: MacroRef): string {
    const key = ref.key
    switch (ref.collection) {
      case 'TX': return ref.lkey === undefined ? '' : this.tx(ref.lkey)?.value ?? ''
      case 'MATCHED_VAR': return this.matchedVar
      case 'MATCHED_VAR_NAME': return this.matchedVarName
      case 'RULE': return ruleField(this.rule, key)
      default: {
        const col = getCollection(ref.collection)
        if (col === undefined) return ''
        const entries = this.collection(col)
        if (key === undefined) return entries.length > 0 ? entries[0].value : ''
        const k = col.caseless ? ref.lkey : key
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
    if (tags !== undefined) {
      for (let i = 0; i < tags.length; i++) if (taggedWith(rule, tags[i])) return true
    }
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
    ;(this.removedCols ??= new Set()).add(removal.target.collection)
  }

  /**
   * Targets removed for this rule at runtime (ctl:ruleRemoveTarget*, exclusions), given the
   * collections the rule reads: undefined when none applies.
   */
  runtimeExclusions (rule: CompiledRule, collections: readonly string[]): TargetExclusion[] | undefined {
    const list = this.removedTargets
    if (list === undefined) return undefined
    let touched = false
    const cols = this.removedCols as Set<string>
    for (let i = 0; i < collections.length && !touched; i++) touched = cols.has(collections[i])
    if (!touched) return undefined
    let out: TargetExclusion[] | undefined
    for (const r of list) {
      if ((r.ids !== undefined && inRanges(rule.num, r.ids)) || (r.tag !== undefined && taggedWith(rule, r.tag))) {
        (out ??= []).push(r.target)
      }
    }
    return out
  }
}

/** Whether a rule has a tag `re` matches, remembered per (pattern, rule): ctl patterns and rules live as long as their rule set. */
const tagHits = new WeakMap<Regex, WeakMap<CompiledRule, boolean>>()

function taggedWith (rule: CompiledRule, re: Regex): boolean {
  let byRule = tagHits.get(re)
  if (byRule === undefined) tagHits.set(re, byRule = new WeakMap())
  let hit = byRule.get(rule)
  if (hit === undefined) {
    hit = rule.tags.some(t => re.test(t))
    byRule.set(rule, hit)
  }
  return hit
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
