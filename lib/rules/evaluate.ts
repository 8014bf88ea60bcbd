import type { Ctl, Phase, TargetExclusion } from './model.js'
import { toInt } from './operators/numeric.js'
import { isMarker } from './ruleset.js'
import type { ExecRule, ExecTarget, PhaseTable, PrefilterGroup, RuleSet } from './ruleset.js'
import type { Transaction } from './transaction.js'
import { applyChain, transformed } from './variables.js'
import type { VarEntry } from './variables.js'

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
  tx.startPhase(phase, table.groups.length)
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
  if (x.group >= 0) {
    let hits = tx.groupHits[x.group]
    if (hits === undefined) hits = scanGroup(tx, table.groups[x.group], x.group)
    if (hits[x.member] === 0) return false
  }
  const rule = x.rule
  tx.rule = rule
  tx.matchedVars.length = 0
  tx.scoreAcc = 0
  const first = evaluateLink(tx, x)
  if (first === undefined) return false
  for (let link = x.chain; link !== undefined; link = link.chain) {
    if (evaluateLink(tx, link) === undefined) return false
  }
  finish(tx, x, first, set, denyStatus)
  return true
}

let scans = 0

/** Runs the group's prefilter once per phase: which members can match at all. */
function scanGroup (tx: Transaction, group: PrefilterGroup, index: number): Uint8Array {
  const scan = ++scans
  let text = ''
  let count = 0
  for (const src of group.sources) {
    const parent = src.namesOf
    if (parent !== undefined) {
      // Names: the keys of the parent collection, without building name entries.
      const owners = tx.collection(parent)
      for (let k = 0; k < owners.length; k++) {
        const e = owners[k]
        if (src.keys !== undefined && !src.keys.has(e.lkey)) continue
        const v = applyChain(e.key, src.chain)
        if (v === e.key) {
          if (e.keyScan === scan) continue
          e.keyScan = scan
        }
        text = count++ === 0 ? v : text + '\n' + v
      }
      continue
    }
    const entries = tx.collection(src.col)
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]
      if (src.keys !== undefined && !src.keys.has(e.lkey)) continue
      const v = transformed(e, src.chain)
      // Most transformations leave a clean value as it is (the same string): it is joined once.
      if (v === e.value) {
        if (e.scan === scan) continue
        e.scan = scan
      }
      // A rope: Buffer.from flattens it once (cheaper than collecting parts and joining them).
      text = count++ === 0 ? v : text + '\n' + v
    }
  }
  const hits = new Uint8Array(group.members)
  tx.groupHits[index] = hits
  if (count === 0) return hits
  const buf = Buffer.from(text)
  for (const s of group.sets) {
    let found: number[]
    try {
      found = s.set.match(buf)
    } catch {
      // The set's DFA ran out of memory on this input: every member is a candidate and is
      // confirmed by its own regex, so nothing is missed.
      for (const m of s.members) hits[m] = 1
      continue
    }
    for (let k = 0; k < found.length; k++) hits[s.members[found[k]]] = 1
  }
  return hits
}

function selects (t: ExecTarget, e: VarEntry): boolean {
  const spec = t.spec
  if (spec.key !== undefined) return e.lkey === spec.key
  if (spec.keyPattern !== undefined) return spec.keyPattern.test(e.lkey)
  return true
}

function excludedBy (list: readonly TargetExclusion[], name: string, e: VarEntry): boolean {
  for (const ex of list) {
    if (ex.collection !== name) continue
    if (ex.key === undefined && ex.keyPattern === undefined) return true
    if (ex.key !== undefined && ex.key === e.lkey) return true
    if (ex.keyPattern !== undefined && ex.keyPattern.test(e.lkey)) return true
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
  const runtime = tx.removedTargets === undefined ? undefined : tx.runtimeExclusions(rule)
  for (const t of x.targets) {
    const entries = tx.collection(t.col)
    if (t.spec.count) {
      let n = 0
      for (const e of entries) if (selects(t, e) && !excluded(x, runtime, t, e)) n++
      const value = String(n)
      if (!test(tx, x, value)) continue
      const name = t.spec.key === undefined ? `&${t.col.name}` : `&${t.col.name}:${t.spec.key}`
      first ??= { location: name, value, matched: tx.matched }
      onMatch(tx, x, name, value)
      continue
    }
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]
      if (!selects(t, e) || excluded(x, runtime, t, e)) continue
      if (x.stages.length > 0) {
        const v = matchStages(tx, x, e)
        if (v === undefined) continue
        const name = t.col.single ? t.col.name : `${t.col.name}:${e.key}`
        first ??= { location: name, value: e.value, matched: tx.matched }
        onMatch(tx, x, name, v)
        continue
      }
      const v = transformed(e, rule.transforms)
      if (!test(tx, x, v)) continue
      const name = t.col.single ? t.col.name : `${t.col.name}:${e.key}`
      first ??= { location: name, value: e.value, matched: tx.matched }
      onMatch(tx, x, name, v)
    }
  }
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
  tx.matchedVars.push({ name, value })
  const a = x.rule.actions
  for (const sv of a.setvars) {
    const key = tx.expand(sv.name).toLowerCase()
    if (sv.op === 'unset') {
      tx.txVars.delete(key)
      continue
    }
    const v = tx.expand(sv.value)
    if (sv.op === '=') {
      tx.txVars.set(key, v)
      continue
    }
    const d = toInt(v)
    const cur = toInt(tx.txVars.get(key) ?? '0')
    tx.txVars.set(key, String(sv.op === '+' ? cur + d : cur - d))
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
  if (deny && tx.mode === 'block') tx.interrupted = { rule, status: status ?? denyStatus }
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
    log: a.log,
    score: tx.scoreAcc
  })
}
