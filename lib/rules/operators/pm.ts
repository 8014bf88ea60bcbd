import type { MatchContext, Operator, OperatorEnv, OperatorFactory } from '../model.js'
import { compileRegex, escapeRegex } from '../regex.js'

/**
 * A case-insensitive phrase matcher over a list of phrases: one RE2 alternation, which RE2
 * runs as an automaton (linear in the input, whatever the number of phrases). `pm` and the
 * SecLang `pmFromFile` both build on it.
 */
export function phraseMatcher (name: string, argument: string, phrases: string[]): Operator {
  const list = phrases.filter(p => p.length > 0)
  if (list.length === 0) throw new Error('needs at least one phrase')
  const source = `(?i)(?:${list.map(escapeRegex).join('|')})`
  const re = compileRegex(source)
  return {
    name,
    argument,
    prefilter: source,
    match (value: string, ctx: MatchContext): boolean {
      const m = re.exec(value)
      if (m === null) return false
      ctx.matched = m[0]
      if (ctx.capture) ctx.setCapture(0, m[0])
      return true
    }
  }
}

/** `pm`: case-insensitive match of any of the space-separated phrases. */
export const pm: OperatorFactory = (argument: string, _env: OperatorEnv): Operator =>
  phraseMatcher('pm', argument, argument.split(/\s+/))
