import type { MatchContext, Operator, OperatorEnv, OperatorFactory } from '../model.js'
import { compileRegex, type Regex } from '../regex.js'
import { expanding } from './dynamic.js'

function matchWith (re: Regex, value: string, ctx: MatchContext): boolean {
  // test() is much cheaper than exec() (no match array to build): most calls are on values
  // that do not match, or on negated rules, and exec() runs only when its result is used
  // (a capture always uses it: one call then).
  if (!ctx.capture) {
    if (!re.test(value)) return false
    if (ctx.matchedFrom !== undefined && value.length <= ctx.matchedFrom) return true
  }
  const m = re.exec(value)
  if (m === null) return false
  ctx.matched = m[0]
  if (ctx.capture) {
    const last = Math.min(m.length - 1, 9)
    for (let i = 0; i <= last; i++) ctx.setCapture(i, m[i] ?? '')
  }
  return true
}

/**
 * `rx`: an RE2 regular expression, compiled at load time. With `capture`, groups 0–9 go to
 * TX.0–TX.9. An argument with macros (`%{tx.pattern}`) is compiled once per distinct
 * expansion and cached, never once per request.
 */
export const rx: OperatorFactory = (argument: string, env: OperatorEnv): Operator => {
  const macro = env.macro(argument)
  if (macro !== undefined) {
    const get = expanding(macro, text => compileRegex(text))
    return { name: 'rx', argument, match: (value, ctx) => matchWith(get(ctx), value, ctx) }
  }
  const re = compileRegex(argument)
  return { name: 'rx', argument, prefilter: argument, match: (value, ctx) => matchWith(re, value, ctx) }
}
