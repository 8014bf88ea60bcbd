import type { MatchContext } from '../model.js'

/**
 * `rx` patterns that are a whole value out of a list of words, answered by a Set lookup instead
 * of an RE2 call: `^(?:GET|HEAD|POST)$`, `^GET$`, and the same after `(?i)`. The default rules
 * run one on every request's method (100802, negated: every request pays for it).
 *
 * Exact, not a prefilter: without the multi-line flag RE2's `^` and `$` are the start and the end
 * of the text (`$` does not match before a final newline, as PCRE's would), so such a pattern
 * matches exactly the values equal to one of its words, and the match is the whole value. Words
 * are limited to ASCII letters, digits, `_` and `-` (no metacharacter, nothing to escape). Case
 * folding: RE2 folds an ASCII letter with its other case and also with two characters beyond
 * ASCII (`k` with U+212A KELVIN SIGN, `s` with U+017F LONG S), so a `(?i)` pattern is answered
 * here only for an ASCII value; any other goes to RE2.
 */
export type WholeWordMatch = (value: string, ctx: MatchContext) => boolean

const SHAPE = /^(\(\?i\))?\^(?:\(\?:([A-Za-z0-9_|-]+)\)|([A-Za-z0-9_-]+))\$$/
const WORD = /^[A-Za-z0-9_-]+$/
const NON_ASCII = /[^\x00-\x7f]/

/**
 * The matcher of a pattern of that shape, or undefined for any other pattern. `re2` is the RE2
 * match, for the values of a `(?i)` pattern that are not ASCII.
 */
export function wholeWordMatcher (pattern: string, re2: WholeWordMatch): WholeWordMatch | undefined {
  const m = SHAPE.exec(pattern)
  if (m === null) return undefined
  const words = (m[2] ?? m[3]).split('|')
  if (!words.every(w => WORD.test(w))) return undefined
  if (m[1] === undefined) {
    const set = new Set(words)
    return (value, ctx) => set.has(value) && matchedWhole(value, ctx)
  }
  const set = new Set(words.map(w => w.toLowerCase()))
  return (value, ctx) => NON_ASCII.test(value) ? re2(value, ctx) : set.has(value.toLowerCase()) && matchedWhole(value, ctx)
}

/**
 * What the RE2 path records of a match (rx.ts matchWith): the matched text, the whole value, only
 * when it is used (a value longer than the engine's matchedFrom, or a capture); TX.0 with capture
 * (the pattern has no group of its own).
 */
function matchedWhole (value: string, ctx: MatchContext): boolean {
  if (!ctx.capture && ctx.matchedFrom !== undefined && value.length <= ctx.matchedFrom) return true
  ctx.matched = value
  if (ctx.capture) ctx.setCapture(0, value)
  return true
}
