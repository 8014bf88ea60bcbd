import type { OperatorRef } from './ast.js'

/**
 * Parses a SecRule operator: `@rx pattern`, `!@eq 0`, `@unconditionalMatch`, or a bare
 * pattern (which means `@rx`). The argument is everything after the single space that ends
 * the operator name, as ModSecurity takes it.
 */
export function parseOperator (text: string): { operator: OperatorRef, error?: string } {
  let s = text
  let negated = false
  // `!@rx …`: negation applies to the operator. A bare `!pattern` negates an implicit @rx.
  if (s.startsWith('!')) {
    negated = true
    s = s.slice(1)
  }
  if (!s.startsWith('@')) {
    return { operator: { name: 'rx', argument: s, negated, raw: text } }
  }
  const m = /^@([A-Za-z0-9_]+)/.exec(s)
  if (m === null) return { operator: { name: '', argument: '', negated, raw: text }, error: `invalid operator "${text.slice(0, 40)}"` }
  const name = m[1]!
  let argument = s.slice(m[0].length)
  if (argument.length > 0 && argument[0] !== ' ' && argument[0] !== '\t') {
    return { operator: { name, argument: '', negated, raw: text }, error: `invalid operator "${text.slice(0, 40)}"` }
  }
  argument = argument.replace(/^[ \t]/, '')
  return { operator: { name, argument, negated, raw: text } }
}
