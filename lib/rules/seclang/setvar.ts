import { compileMacros, type MacroText } from './macros.js'

/**
 * One `setvar` action: `tx.score=+%{tx.critical_anomaly_score}`, `tx.x=5`, `tx.x=-1`,
 * `!tx.x` (unset), `tx.x` (set to 1). Only the TX collection is per-transaction; the
 * persistent collections (IP, SESSION, GLOBAL …) need `initcol` storage, which this
 * engine does not keep, so they are reported as unsupported by the compiler.
 */
export interface SetVar {
  collection: string
  /** The variable name, lower-cased (TX keys are case-insensitive); may hold macros. */
  name: MacroText
  op: 'set' | 'add' | 'sub' | 'unset'
  value: MacroText
}

export function parseSetVar (spec: string): { setvar?: SetVar, error?: string } {
  let s = spec.trim()
  let unset = false
  if (s.startsWith('!')) {
    unset = true
    s = s.slice(1)
  }
  const dot = s.indexOf('.')
  if (dot <= 0) return { error: `setvar "${spec}": expected collection.name` }
  const collection = s.slice(0, dot).toUpperCase()
  const rest = s.slice(dot + 1)
  const eq = rest.indexOf('=')
  const rawName = (eq === -1 ? rest : rest.slice(0, eq)).trim()
  if (rawName.length === 0) return { error: `setvar "${spec}": empty variable name` }
  const name = compileMacros(rawName.toLowerCase())
  if (unset) {
    if (eq !== -1) return { error: `setvar "${spec}": an unset takes no value` }
    return { setvar: { collection, name, op: 'unset', value: compileMacros('') } }
  }
  if (eq === -1) return { setvar: { collection, name, op: 'set', value: compileMacros('1') } }
  let value = rest.slice(eq + 1)
  let op: SetVar['op'] = 'set'
  if (value.startsWith('+')) { op = 'add'; value = value.slice(1) } else if (value.startsWith('-')) { op = 'sub'; value = value.slice(1) }
  return { setvar: { collection, name, op, value: compileMacros(value) } }
}

/**
 * Applies an arithmetic setvar the way ModSecurity does: both sides are read as integers
 * (a non-number counts as 0), the result is written back as a decimal string.
 */
export function arithmetic (current: string | undefined, op: 'add' | 'sub', operand: string): string {
  const a = toInt(current)
  const b = toInt(operand)
  return String(op === 'add' ? a + b : a - b)
}

export function toInt (s: string | undefined): number {
  if (s === undefined) return 0
  const n = Number.parseInt(s.trim(), 10)
  return Number.isFinite(n) ? n : 0
}
