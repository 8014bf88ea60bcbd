import type { MatchContext, Operator, OperatorEnv } from '../model.js'
import { escapeRegex } from '../regex.js'
import { argumentText } from './dynamic.js'

/**
 * The string operators (`contains`, `beginsWith`, `endsWith`, `streq`, `within`) share one
 * shape: a test of the value against the argument (macros expanded), case-sensitive, with a
 * prefilter built from the literal when it is constant.
 */
export function literalOperator (
  name: string,
  argument: string,
  env: OperatorEnv,
  test: (value: string, arg: string) => boolean,
  prefilter: ((escaped: string) => string) | undefined
): Operator {
  const macro = env.macro(argument)
  const op: Operator = {
    name,
    argument,
    match (value: string, ctx: MatchContext): boolean {
      const arg = argumentText(argument, macro, ctx)
      if (!test(value, arg)) return false
      ctx.matched = name === 'within' ? value : arg
      if (ctx.capture) ctx.setCapture(0, ctx.matched)
      return true
    }
  }
  if (macro === undefined && prefilter !== undefined) return { ...op, prefilter: prefilter(escapeRegex(argument)) }
  return op
}
