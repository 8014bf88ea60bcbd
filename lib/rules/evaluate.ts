import type { Ctl, Phase, TargetExclusion } from './model.js'
import { keyMatches } from './key-match.js'
import { toInt } from './operators/numeric.js'
import { isMarker } from './ruleset.js'
import type { PrefilterSet } from './prefilter.js'
import type { ExecRule, ExecTarget, Lane, PartChain, PhaseTable, RawSource, RuleSet, TextSource } from './ruleset.js'
import type { Transaction } from './transaction.js'
import { entryMask, transformed, VarEntry } from './variables.js'

/**
 * The evaluator: runs one phase of a rule set over a transaction, in rule order, with
 * ModSecurity's semantics (see model.ts). Hot path: no closures, no regex compilation; the
 * common case (no rule can match) costs one prefilter scan per group and one array read per
 * rule.
 */

interface FirstMatch {
  location: string
  value: string
  matched: string | undefined
}

export function runPhase (tx: Transaction, set: RuleSet, phase: Phase, denyStatus: number): void {
  const table = set.phases[phase]
  if (table === undefined || tx.mode === 'off' || tx.interrupted !== undefined || tx.allowed === 'request') return
  if (table.bodyTwinsOnly && tx.req.body === undefined) return
  tx.startPhase(phase, table)
  // A hook that runs another check inside this one must not reuse this phase's texts.
  if (depth === 0) used = 0
  depth++
  try {
    runItems(tx, set, table, denyStatus)
  } finally {
    depth--
  }
}

function runItems (tx: Transaction, set: RuleSet, table: PhaseTable, denyStatus: number): void {
  const items = table.items
  let i = 0
  while (i < items.length) {
    const item = items[i]
    if (isMarker(item)) {
      i++
      continue
    }
    const rule = item.rule
    if ((tx.removedIds !== undefined || tx.removedTags !== undefined) && tx.isRemoved(rule)) {
      i++
      continue
    }
    if (!evaluateHead(tx, item, table, set, denyStatus)) {
      i++
      continue
    }
    // A ctl:ruleEngine=Off in this rule stops the rest.
    if (tx.interrupted !== undefined || tx.allowed !== undefined || (tx.mode as string) === 'off') break
    const a = rule.actions
    if (a.skipAfter !== undefined) {
      const m = table.markers.get(a.skipAfter)
      i = m !== undefined && m > i ? m + 1 : items.length
      continue
    }
    i += 1 + a.skip
  }
}

function evaluateHead (tx: Transaction, x: ExecRule, table: PhaseTable, set: RuleSet, denyStatus: number): boolean {
  if (x.group >= 0 && !canMatch(tx, x, table)) return false
  const early = x.early
  for (let k = 0; k < early.length; k++) if (!canMatch(tx, early[k], table)) return false
  const rule = x.rule
  tx.rule = rule
  tx.matchedVars.length = 0
  tx.scoreAcc = 0
  const first = evaluateLink(tx, x)
  if (first === undefined) return false
  for (let link = x.chain; link !== undefined; link = link.chain) {
    if (link.group >= 0 && !canMatch(tx, link, table)) return false
    if (evaluateLink(tx, link) === undefined) return false
  }
  finish(tx, x, first, set, denyStatus)
  return true
}

/** The prefilter's verdict on a rule or chain link (its group is scanned on first use in the phase). */
function canMatch (tx: Transaction, x: ExecRule, table: PhaseTable): boolean {
  let hits = tx.groupHits[x.group]
  if (hits === undefined) hits = scanGroup(tx, table, x.group)
  return hits[x.member] !== 0
}

/**
 * Runs a group's sets over its values: the views of its raw source in the lanes, then the
 * values its chains changed. Which members can match at all.
 */
function scanGroup (tx: Transaction, table: PhaseTable, index: number): Uint8Array {
  const group = table.groups[index]
  const hits = new Uint8Array(group.members)
  tx.groupHits[index] = hits
  const src = table.texts[group.text]
  let views = tx.rawViews[src.raw]
  if (views === undefined) views = tx.rawViews[src.raw] = rawViews(tx, table, table.raws[src.raw])
  let extra = tx.texts[group.text]
  if (extra === undefined) extra = tx.texts[group.text] = changedText(tx, table, src)
  if (views.length === 0 && extra.length === 0) return hits
  for (const s of group.sets) {
    try {
      // Most values match nothing: test() stops at the first match and builds no list.
      let hit = extra.length > 0 && s.set.test(extra)
      for (let v = 0; v < views.length && !hit; v++) hit = s.set.test(views[v])
      if (!hit) continue
      markFound(s, extra, hits)
      for (let v = 0; v < views.length; v++) markFound(s, views[v], hits)
    } catch {
      // The set's DFA ran out of memory on this input: every member is a candidate and is
      // confirmed by its own operator, so nothing is missed.
      for (const m of s.members) hits[m] = 1
    }
  }
  return hits
}

function markFound (s: PrefilterSet, bytes: Buffer, hits: Uint8Array): void {
  if (bytes.length === 0) return
  const found = s.set.match(bytes)
  for (let k = 0; k < found.length; k++) hits[s.members[found[k]]] = 1
}

/** The values a text source's chains changed, as UTF-8 bytes (empty on clean traffic). */
function changedText (tx: Transaction, table: PhaseTable, src: TextSource): Buffer {
  let extra = ''
  const pairs = src.pairs
  for (let i = 0; i < pairs.length; i++) {
    let piece = tx.pairTexts[pairs[i]]
    if (piece === undefined) piece = tx.pairTexts[pairs[i]] = changedValues(tx, table, table.partChains[pairs[i]])
    if (piece.length > 0) extra += piece
  }
  return extra.length === 0 ? EMPTY : toBytes(extra)
}

const EMPTY = Buffer.alloc(0)

/** The values of a part that a chain changes, each after the separator ('' when none). */
function changedValues (tx: Transaction, table: PhaseTable, pc: PartChain): string {
  const part = table.parts[pc.part]
  const chain = pc.chain
  const bits = chain.triggerBits
  // A collection none of whose values holds a trigger character of the chain: nothing changes.
  if (bits !== undefined && (tx.collectionMask(part.col) & bits) === 0) return ''
  const keys = part.keys
  const sep = part.separator
  const entries = tx.collection(part.col)
  let out = ''
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]
    if (keys !== undefined && !keys.has(e.lkey)) continue
    if (bits !== undefined && (entryMask(e) & bits) === 0) continue
    const v = transformed(e, chain)
    if (v !== e.value) out += sep + v
  }
  return out
}

/** A raw source as views of its lane's bytes, one per run (empty runs left out). */
function rawViews (tx: Transaction, table: PhaseTable, raw: RawSource): Buffer[] {
  let lane = tx.lanes[raw.lane]
  if (lane === undefined) lane = tx.lanes[raw.lane] = layLane(tx, table, table.lanes[raw.lane])
  const out: Buffer[] = []
  for (const [first, last] of raw.runs) {
    const from = lane.starts[first]
    const to = lane.ends[last]
    if (to > from) out.push(lane.bytes.subarray(from, to))
  }
  return out
}

/**
 * A lane's untransformed values, part after part, encoded once: every part starts after a
 * separator (except the first written), so any run of neighbouring parts is one stretch of
 * whole values.
 */
function layLane (tx: Transaction, table: PhaseTable, lane: Lane): { bytes: Buffer, starts: number[], ends: number[] } {
  const sep = lane.separator
  let text = ''
  const starts: number[] = []
  const ends: number[] = []
  // Offsets are counted in UTF-8 bytes: every character beyond 0x7f is counted as it encodes.
  let bytes = 0
  for (const p of lane.parts) {
    const part = table.parts[p]
    const keys = part.keys
    const entries = tx.collection(part.col)
    let first = true
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]
      if (keys !== undefined && !keys.has(e.lkey)) continue
      if (text.length > 0) {
        text += sep
        bytes += utf8Length(sep)
      }
      if (first) {
        starts[p] = bytes
        first = false
      }
      text += e.value
      bytes += utf8Length(e.value)
    }
    if (first) starts[p] = bytes
    ends[p] = bytes
  }
  return { bytes: toBytes(text), starts: lane.parts.map(p => starts[p]), ends: lane.parts.map(p => ends[p]) }
}

const WIDE = /[^\x00-\x7f]/

/** The UTF-8 length of a string (byte strings: one or two bytes a character; U+FFFF three). */
function utf8Length (s: string): number {
  return WIDE.test(s) ? Buffer.byteLength(s, 'utf8') : s.length
}

/**
 * The texts of one phase go into one scratch buffer: a phase runs synchronously to its end,
 * and its texts are dropped when the next phase starts (Transaction.startPhase), so the
 * buffer is reused from the start by every phase. A text that does not fit gets a new,
 * larger buffer; earlier texts keep the old one.
 */
let scratch = Buffer.allocUnsafe(64 * 1024)
let used = 0
let depth = 0

function toBytes (text: string): Buffer {
  // Up to three UTF-8 bytes per UTF-16 unit (two for a byte string's characters).
  const need = text.length * 3
  if (used + need > scratch.length) {
    scratch = Buffer.allocUnsafe(Math.max(scratch.length, need * 2))
    used = 0
  }
  const n = scratch.write(text, used, 'utf8')
  const out = scratch.subarray(used, used + n)
  used += n
  return out
}

function selects (t: ExecTarget, e: VarEntry): boolean {
  const spec = t.spec
  if (spec.key !== undefined) return e.lkey === spec.key
  if (spec.keyPattern !== undefined) return keyMatches(spec.keyPattern, e.lkey)
  return true
}

function excludedBy (list: readonly TargetExclusion[], name: string, e: VarEntry): boolean {
  for (const ex of list) {
    if (ex.collection !== name) continue
    if (ex.key === undefined && ex.keyPattern === undefined) return true
    if (ex.key !== undefined && ex.key === e.lkey) return true
    if (ex.keyPattern !== undefined && keyMatches(ex.keyPattern, e.lkey)) return true
  }
  return false
}

function excluded (x: ExecRule, runtime: TargetExclusion[] | undefined, t: ExecTarget, e: VarEntry): boolean {
  if (x.exclusions.length > 0 && excludedBy(x.rule.exclusions, t.col.name, e)) return true
  return runtime !== undefined && excludedBy(runtime, t.col.name, e)
}

function test (tx: Transaction, x: ExecRule, value: string): boolean {
  tx.matched = undefined
  const m = x.rule.operator.match(value, tx)
  return x.rule.negated ? !m : m
}

/** Evaluates one rule (or chain link) over its targets; the first match, or undefined. */
function evaluateLink (tx: Transaction, x: ExecRule): FirstMatch | undefined {
  const rule = x.rule
  tx.capture = rule.actions.capture
  let first: FirstMatch | undefined
  if (x.targets.length === 0) {
    if (!test(tx, x, '')) return undefined
    first = { location: '', value: '', matched: tx.matched }
    onMatch(tx, x, '', '')
    return first
  }
  const runtime = tx.removedTargets === undefined ? undefined : tx.runtimeExclusions(rule, x.collections)
  for (const t of x.targets) {
    if (t.lookup) {
      // One variable of TX: a map read.
      let e = (t.col.lookup as NonNullable<typeof t.col.lookup>)(tx, t.spec.key as string)
      if (e !== undefined && excluded(x, runtime, t, e)) e = undefined
      if (t.spec.count) first = countMatch(tx, x, t, e === undefined ? 0 : 1, first)
      else if (e !== undefined) first = visit(tx, x, t, e, first)
      continue
    }
    const entries = tx.collection(t.col)
    if (t.spec.count) {
      let n = 0
      for (let k = 0; k < entries.length; k++) if (selects(t, entries[k]) && !excluded(x, runtime, t, entries[k])) n++
      first = countMatch(tx, x, t, n, first)
      continue
    }
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]
      if (!selects(t, e) || excluded(x, runtime, t, e)) continue
      first = visit(tx, x, t, e, first)
    }
  }
  return first
}

/** `&VAR`: the operator on the number of selected values. */
function countMatch (tx: Transaction, x: ExecRule, t: ExecTarget, n: number, first: FirstMatch | undefined): FirstMatch | undefined {
  const value = String(n)
  if (!test(tx, x, value)) return first
  const name = t.spec.key === undefined ? `&${t.col.name}` : `&${t.col.name}:${t.spec.key}`
  first ??= { location: name, value, matched: tx.matched }
  onMatch(tx, x, name, value)
  return first
}

/** The operator on one value (through the rule's transformations); on a match, its actions. */
function visit (tx: Transaction, x: ExecRule, t: ExecTarget, e: VarEntry, first: FirstMatch | undefined): FirstMatch | undefined {
  let v: string | undefined
  if (x.stages.length > 0) {
    v = matchStages(tx, x, e)
    if (v === undefined) return first
  } else {
    v = transformed(e, x.rule.transforms)
    if (!test(tx, x, v)) return first
  }
  const name = t.col.single ? t.col.name : `${t.col.name}:${e.key}`
  first ??= { location: name, value: e.value, matched: tx.matched }
  onMatch(tx, x, name, v)
  return first
}

/** multiMatch: the operator runs on the value and after each transformation that changed it. */
function matchStages (tx: Transaction, x: ExecRule, e: VarEntry): string | undefined {
  let prev = e.value
  if (test(tx, x, prev)) return prev
  for (const node of x.stages) {
    const v = transformed(e, node)
    if (v === prev) continue
    prev = v
    if (test(tx, x, v)) return v
  }
  return undefined
}

/** Per matched value: MATCHED_* and the non-disruptive actions (setvar, hooks). */
function onMatch (tx: Transaction, x: ExecRule, name: string, value: string): void {
  tx.matchedVar = value
  tx.matchedVarName = name
  tx.matchedVars.push(new VarEntry(name, name.toLowerCase(), value))
  const a = x.rule.actions
  for (const sv of a.setvars) {
    const key = sv.key ?? tx.expand(sv.name).toLowerCase()
    if (sv.op === 'unset') {
      tx.unsetVar(key)
      continue
    }
    const v = tx.expand(sv.value)
    if (sv.op === '=') {
      tx.setVar(key, v)
      continue
    }
    const d = toInt(v)
    const cur = toInt(tx.txEntry(key)?.value ?? '0')
    tx.setVar(key, String(sv.op === '+' ? cur + d : cur - d))
    if (sv.op === '+' && key.includes('anomaly_score')) tx.scoreAcc += d
  }
  for (const h of a.hooks) h(x.rule, tx)
}

function applyCtl (tx: Transaction, c: Ctl): void {
  switch (c.kind) {
    case 'ruleRemoveById': tx.removeIds(c.ids); break
    case 'ruleRemoveByTag': tx.removeTag(c.tag); break
    case 'ruleRemoveTargetById': tx.removeTarget({ ids: c.ids, target: c.target }); break
    case 'ruleRemoveTargetByTag': tx.removeTarget({ tag: c.tag, target: c.target }); break
    case 'ruleEngine': tx.mode = c.mode; break
  }
}

/** The whole chain matched: ctl, disruptive action, bot flag, and the match record. */
function finish (tx: Transaction, x: ExecRule, first: FirstMatch, set: RuleSet, denyStatus: number): void {
  const rule = x.rule
  const a = rule.actions
  for (const c of a.ctls) applyCtl(tx, c)
  let d = a.disruptive
  let status = a.status
  if (d === 'block') {
    const def = set.defaultActions[rule.phase]
    d = def?.disruptive ?? 'pass'
    status ??= def?.status
  }
  const deny = d === 'deny' || d === 'drop'
  const denied = deny && tx.mode === 'block'
  if (denied) tx.interrupted = { rule, status: status ?? denyStatus }
  else if (d === 'allow') tx.allowed = a.allowScope
  if (a.bot || rule.detectType === 'scanner') tx.bot = true
  tx.matches.push({
    rule,
    location: first.location,
    value: first.value,
    matched: first.matched,
    msg: rule.msg === undefined ? '' : tx.expand(rule.msg),
    logdata: rule.logdata === undefined ? '' : tx.expand(rule.logdata),
    deny,
    disruptive: d ?? 'pass',
    denied,
    log: a.log,
    score: tx.scoreAcc
  })
}
