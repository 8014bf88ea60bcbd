import type { MatchContext, Operator, OperatorEnv } from '../model.js'
import { argumentText } from './dynamic.js'

/** C `atoi`: leading blanks, an optional sign, digits; anything else gives 0. */
export function toInt (s: string): number {
  let i = 0
  const n = s.length
  while (i < n && (s.charCodeAt(i) === 32 || (s.charCodeAt(i) >= 9 && s.charCodeAt(i) <= 13))) i++
  let sign = 1
  if (s[i] === '-' || s[i] === '+') {
    if (s[i] === '-') sign = -1
    i++
  }
  let v = 0
  for (; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) break
    v = v * 10 + c - 48
    if (v > Number.MAX_SAFE_INTEGER) break
  }
  return sign * v
}

/** The numeric comparisons (`eq ge gt le lt`): value and argument read as integers. */
export function numericOperator (name: string, argument: string, env: OperatorEnv, cmp: (a: number, b: number) => boolean): Operator {
  const macro = env.macro(argument)
  const constant = toInt(argument)
  return {
    name,
    argument,
    match (value: string, ctx: MatchContext): boolean {
      const b = macro === undefined ? constant : toInt(argumentText(argument, macro, ctx))
      if (!cmp(toInt(value), b)) return false
      ctx.matched = value
      if (ctx.capture) ctx.setCapture(0, value)
      return true
    }
  }
}
