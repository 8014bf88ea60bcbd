import type { Ctl, Phase, TargetExclusion } from './model.js'
import { keyMatches } from './key-match.js'
import { toInt } from './operators/numeric.js'
import { isMarker } from './exec.js'
import type { ExecRule, ExecTarget, PhaseTable } from './exec.js'
import type { RuleSet } from './ruleset.js'
import { enterScanPhase, leaveScanPhase, PhaseScan } from './scan.js'
import type { Transaction } from './transaction.js'
import { transformed, VarEntry } from './variables.js'

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
  tx.startPhase(phase)
  const scan = new PhaseScan(tx, table)
  // A hook that runs another check inside this one must not reuse this phase's texts.
  enterScanPhase()
  try {
    runItems(tx, set, table, scan, denyStatus)
  } finally {
    leaveScanPhase()
  }
}

function runItems (tx: Transaction, set: RuleSet, table: PhaseTable, scan: PhaseScan, denyStatus: number): void {
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
    if (!evaluateHead(tx, item, scan, set, denyStatus)) {
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

function evaluateHead (tx: Transaction, x: ExecRule, scan: PhaseScan, set: RuleSet, denyStatus: number): boolean {
  if (x.group >= 0 && !scan.canMatch(x)) return false
  const early = x.early
  for (let k = 0; k < early.length; k++) if (!scan.canMatch(early[k])) return false
  const rule = x.rule
  tx.rule = rule
  tx.matchedVars.length = 0
  tx.scoreAcc = 0
  const first = evaluateLink(tx, x)
  if (first === undefined) return false
  for (let link = x.chain; link !== undefined; link = link.chain) {
    if (link.group >= 0 && !scan.canMatch(link)) return false
    if (evaluateLink(tx, link) === undefined) return false
  }
  finish(tx, x, first, set, denyStatus)
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
