import type { MatchContext, Operator, OperatorEnv, OperatorFactory } from '../model.js'
import { compileRegex, type Regex } from '../regex.js'
import { expanding } from './dynamic.js'
import { wholeWordMatcher } from './rx-literals.js'

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
  const whole = WHOLE_VALUE[argument]
  if (whole !== undefined) return { name: 'rx', argument, prefilter: argument, match: whole }
  const re = compileRegex(argument)
  const viaRe2 = (value: string, ctx: MatchContext): boolean => matchWith(re, value, ctx)
  return { name: 'rx', argument, prefilter: argument, match: wholeWordMatcher(argument, viaRe2) ?? viaRe2 }
}

/**
 * Patterns answered without a regex call (a whole value or nothing, or any character): the CRS runs
 * `^.*$` with capture on every header name (920450) and `^$` on several headers. Without the
 * multi-line and dot-all flags, `^.*$` matches exactly the values without a newline, and
 * the match is the value itself.
 */
const WHOLE_VALUE: Record<string, (value: string, ctx: MatchContext) => boolean> = {
  '^.*$': (value, ctx) => value.indexOf('\n') === -1 && wholeMatch(value, ctx),
  '^$': (value, ctx) => value.length === 0 && wholeMatch(value, ctx),
  '.': anyCharacter
}

let dot: Regex | undefined

/**
 * `.`: the CRS counts every argument name with it (921170, PL3). It matches the first character
 * that is not a newline; a surrogate (not in a byte string) is left to RE2.
 */
function anyCharacter (value: string, ctx: MatchContext): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 0x0a) continue
    if (c >= 0xd800 && c <= 0xdfff) return matchWith(dot ??= compileRegex('.'), value, ctx)
    // As matchWith: a value that fits the payload whole needs no matched text.
    if (!ctx.capture && ctx.matchedFrom !== undefined && value.length <= ctx.matchedFrom) return true
    ctx.matched = value[i]
    if (ctx.capture) ctx.setCapture(0, value[i])
    return true
  }
  return false
}

function wholeMatch (value: string, ctx: MatchContext): boolean {
  ctx.matched = value
  if (ctx.capture) ctx.setCapture(0, value)
  return true
}
