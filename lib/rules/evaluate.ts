import type { Ctl, Phase, TargetExclusion } from './model.js'
import { keyMatches } from './key-match.js'
import { toInt } from './operators/numeric.js'
import { ALL_PARTS, isMarker } from './exec.js'
import type { ExecRule, ExecTarget, PhaseTable, RunnableRules } from './exec.js'
import { enterScanPhase, leaveScanPhase, PhaseScan } from './scan.js'
import { Transaction } from './transaction.js'
import type { RequestInput } from './input.js'
import { DEFAULT_LIMITS } from './request-data.js'
import { transformed } from './variables.js'
import type { VarEntry } from './variables.js'

/**
 * The evaluator: runs one phase of a rule set over a transaction, in rule order, with
 * ModSecurity's semantics (see model.ts). Hot path: no closures, no regex compilation; the
 * common case (no rule can match) costs one prefilter scan per group and one array read per
 * rule.
 */

export function runPhase (tx: Transaction, set: RunnableRules, phase: Phase, denyStatus: number): void {
  // A transaction that starts from the prelude runs the tables without the rules that can then
  // never run (the prelude is the same in both); any other, every rule.
  const pruned = set.phases[phase]
  const adopt = phase === 1 && pruned !== undefined && pruned.prelude > 0 && tx.pristine()
  const table = adopt || tx.fromPrelude ? pruned : set.fullPhases[phase]
  if (table === undefined || tx.mode === 'off' || tx.interrupted !== undefined || tx.allowed === 'request') return
  if (table.bodyTwinsOnly && tx.req.body === undefined) return
  tx.startPhase(phase)
  const scan = new PhaseScan(tx, table)
  // A hook that runs another check inside this one must not reuse this phase's texts.
  enterScanPhase()
  try {
    let start = 0
    if (adopt) {
      const p = preludeOf(set, table, tx.matchedFrom, denyStatus)
      tx.adoptPrelude(p.outcome)
      start = p.end
    }
    runItems(tx, set, table, scan, denyStatus, start, table.items.length)
  } finally {
    leaveScanPhase()
  }
}

/** The outcome of a phase-1 prelude (PhaseTable.prelude): TX, matches and MATCHED_* after its first `end` items. */
interface Prelude {
  readonly matchedFrom: number | undefined
  readonly end: number
  readonly outcome: Transaction
}

const preludes = new WeakMap<PhaseTable, Prelude[]>()
const NO_REQUEST: RequestInput = { method: 'GET', url: '/' }

/**
 * The prelude's outcome, computed on first use on a transaction of its own (its rules read no
 * request data, so any request gives the same; `matchedFrom` is the engine's, which decides the
 * matched texts it records). A rule of it that matched with more than TX writes (a deny, an
 * allow, a bot flag) ends the prelude before it, and the rest runs per request as usual.
 */
export function preludeOf (set: RunnableRules, table: PhaseTable, matchedFrom: number | undefined, denyStatus: number): Prelude {
  let known = preludes.get(table)
  if (known === undefined) preludes.set(table, known = [])
  for (const p of known) if (p.matchedFrom === matchedFrom) return p
  let end = table.prelude
  for (;;) {
    const outcome = new Transaction(NO_REQUEST, DEFAULT_LIMITS, 'detect')
    outcome.matchedFrom = matchedFrom
    outcome.startPhase(1)
    enterScanPhase()
    try {
      runItems(outcome, set, table, new PhaseScan(outcome, table), denyStatus, 0, end)
    } finally {
      leaveScanPhase()
    }
    const stop = outcome.matches.find(m => m.deny || m.disruptive !== 'pass' || m.rule.actions.bot || m.rule.detectType === 'scanner')
    if (stop === undefined) {
      const p = { matchedFrom, end, outcome }
      known.push(p)
      return p
    }
    end = Math.max(0, table.items.findIndex(it => !isMarker(it) && it.rule === stop.rule))
  }
}

function runItems (tx: Transaction, set: RunnableRules, table: PhaseTable, scan: PhaseScan, denyStatus: number, start: number, end: number): void {
  const items = table.items
  let i = start
  while (i < end) {
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
    if (!evaluateHead(tx, item, scan, set, denyStatus)) {
      i++
      continue
    }
    // A ctl:ruleEngine=Off in this rule stops the rest.
    if (tx.interrupted !== undefined || tx.allowed !== undefined || (tx.mode as string) === 'off') break
    const a = rule.actions
    if (a.skipAfter !== undefined) {
      const to = table.jumps[i]
      i = to === -1 ? end : to
      continue
    }
    i += 1 + a.skip
  }
}

function evaluateHead (tx: Transaction, x: ExecRule, scan: PhaseScan, set: RunnableRules, denyStatus: number): boolean {
  if (x.group >= 0 && !scan.canMatch(x)) return false
  const early = x.early
  for (let k = 0; k < early.length; k++) if (!scan.canMatch(early[k])) return false
  const rule = x.rule
  tx.rule = rule
  tx.clearMatchedVars()
  tx.scoreAcc = 0
  tx.firstSet = false
  if (!evaluateLink(tx, x, scan)) return false
  for (let link = x.chain; link !== undefined; link = link.chain) {
    if (link.group >= 0 && !scan.canMatch(link)) return false
    if (!evaluateLink(tx, link, scan)) return false
  }
  finish(tx, x, set, denyStatus)
  return true
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
  const floor = x.floor
  const m = (floor === undefined || floor.admits(value)) && x.rule.operator.match(value, tx)
  return x.rule.negated ? !m : m
}

/**
 * Evaluates one rule (or chain link) over its targets: whether a value matched. The chain's first
 * match (its location, value and matched text) is kept in the transaction's `first*` fields.
 */
function evaluateLink (tx: Transaction, x: ExecRule, scan: PhaseScan): boolean {
  const rule = x.rule
  tx.capture = rule.actions.capture
  if (x.targets.length === 0) {
    if (!test(tx, x, '')) return false
    matchedAt(tx, x, '', '', '')
    return true
  }
  let any = false
  const runtime = tx.removedTargets === undefined ? undefined : tx.runtimeExclusions(rule, x.collections)
  const targets = x.targets
  // With a group: the parts its scan found the rule's patterns in (ExecRule.partBits, ./scan.ts).
  const found = x.group >= 0 ? scan.partsHit(x) : ALL_PARTS
  for (let j = 0; j < targets.length; j++) {
    const t = targets[j]
    if (found !== ALL_PARTS && (found & x.partBits[j]) === 0) continue
    if (t.lookup) {
      // One variable of TX: a map read.
      let e = (t.col.lookup as NonNullable<typeof t.col.lookup>)(tx, t.spec.key as string)
      if (e !== undefined && excluded(x, runtime, t, e)) e = undefined
      if (t.spec.count) {
        if (countMatch(tx, x, t, e === undefined ? 0 : 1)) any = true
      } else if (e !== undefined && visit(tx, x, t, e)) any = true
      continue
    }
    const entries = tx.collection(t.col)
    if (t.spec.count) {
      let n = 0
      for (let k = 0; k < entries.length; k++) if (selects(t, entries[k]) && !excluded(x, runtime, t, entries[k])) n++
      if (countMatch(tx, x, t, n)) any = true
      continue
    }
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]
      if (!selects(t, e) || excluded(x, runtime, t, e)) continue
      if (visit(tx, x, t, e)) any = true
    }
  }
  return any
}

/** `&VAR`: the operator on the number of selected values. */
function countMatch (tx: Transaction, x: ExecRule, t: ExecTarget, n: number): boolean {
  const value = String(n)
  if (!test(tx, x, value)) return false
  matchedAt(tx, x, t.location as string, value, value)
  return true
}

/** The operator on one value (through the rule's transformations); on a match, its actions. */
function visit (tx: Transaction, x: ExecRule, t: ExecTarget, e: VarEntry): boolean {
  let v: string | undefined
  if (x.stages.length > 0) {
    v = matchStages(tx, x, e)
    if (v === undefined) return false
  } else {
    v = transformed(e, x.rule.transforms)
    if (!test(tx, x, v)) return false
  }
  matchedAt(tx, x, t.location ?? `${t.col.name}:${e.key}`, e.value, v)
  return true
}

/** A value matched: the chain's first match is kept, then MATCHED_* and the actions. */
function matchedAt (tx: Transaction, x: ExecRule, name: string, original: string, value: string): void {
  if (!tx.firstSet) {
    tx.firstSet = true
    tx.firstLocation = name
    tx.firstValue = original
    tx.firstMatched = tx.matched
  }
  onMatch(tx, x, name, value)
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
  tx.addMatchedVar(name, value)
  const a = x.rule.actions
  const setvars = a.setvars
  for (let i = 0; i < setvars.length; i++) {
    const sv = setvars[i]
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
  const hooks = a.hooks
  for (let i = 0; i < hooks.length; i++) hooks[i](x.rule, tx)
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
function finish (tx: Transaction, x: ExecRule, set: RunnableRules, denyStatus: number): void {
  const rule = x.rule
  const a = rule.actions
  for (let i = 0; i < a.ctls.length; i++) applyCtl(tx, a.ctls[i])
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
    location: tx.firstLocation,
    value: tx.firstValue,
    matched: tx.firstMatched,
    msg: rule.msg === undefined ? '' : tx.expand(rule.msg),
    logdata: rule.logdata === undefined ? '' : tx.expand(rule.logdata),
    deny,
    disruptive: d ?? 'pass',
    denied,
    log: a.log,
    score: tx.scoreAcc
  })
}
