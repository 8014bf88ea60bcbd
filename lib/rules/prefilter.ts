import { setFactors } from './prefilter-literals.js'
import { compileRegex, compileSet, utf8ToBytes } from './regex.js'
import type { RegexSet } from './regex.js'

/**
 * The RE2.Set prefilter. A group's values are joined with `\n` and scanned once in multi-line
 * mode, where `^` and `$` also match at every value boundary, so a pattern that matches some
 * value also matches the joined text: the scan can only over-report, and each reported rule
 * is then confirmed value by value with its own operator. Patterns for which joining is not
 * sound are kept out (see joinSeparator) and run unfiltered.
 */

export interface PrefilterSet {
  /** Unique in the process: the set's verdicts in the result cache (./result-cache.ts) are found by it. */
  readonly id: number
  readonly set: RegexSet
  /** Member index (in its phase: ExecRule.member) of each pattern of the set, by the set's pattern index. */
  readonly members: readonly number[]
  /**
   * Lower-cased strings one of which every match of every pattern holds (./prefilter-literals.ts),
   * when there are few: a text holding none is not given to the set.
   */
  readonly factors: readonly string[] | undefined
  /** The patterns, as the set was compiled from them (a part's union, ./prefilter-union.ts, compiles them again). */
  readonly sources: readonly string[]
  /** The set's index among its phase's sets (given by the phase's plan). */
  slot: number
}

/** Limits per RE2.Set, so that its DFA stays small enough not to run out of memory. */
const MAX_PATTERNS = 128
const MAX_SOURCE = 48 * 1024

const WIDE_SEPARATOR = '\uffff'

/**
 * A pattern as its group's RE2.Set scans it: `\A` and `\z` (the start and end of a value) as
 * `^` and `$`, which in multi-line mode hold at every value boundary of the joined text (a value
 * ends before a `\n` separator or at the text's end), and elsewhere too: the set may report
 * more, never less. (CRS 942200 ends some branches with `\z`: it was left out of every set.)
 */
export function setPattern (source: string): string {
  // Inside `\Q…\E` a `\z` is literal: such patterns are left as they are (and joinSeparator refuses them).
  if (!/\\[Az]/.test(source) || source.includes('\\Q')) return source
  let out = ''
  for (let i = 0; i < source.length; i++) {
    const c = source[i]
    if (c !== '\\' || i + 1 >= source.length) {
      out += c
      continue
    }
    const e = source[++i]
    out += e === 'A' ? '^' : e === 'z' ? '$' : c + e
  }
  return out
}

/**
 * The separator a pattern's values can be joined with, or undefined when joining is not sound
 * for it. Joined values must not give the pattern a match the separator alone makes (then it
 * would hit on every request with two values), and a `\A` / `\z` left by setPattern matches only
 * at the ends of the joined text. `\n` keeps `^` and `$` (multi-line mode) true at every value boundary; a
 * pattern without anchors that matches `\n` itself (`[\r\n]`) is joined with U+FFFF instead,
 * a character no byte-string value holds.
 */
export function joinSeparator (source: string): string | undefined {
  if (/\\[Az]/.test(source.replace(/\\\\/g, ''))) return undefined
  let re
  try {
    re = compileRegex(source, 'm')
  } catch {
    return undefined
  }
  if (!re.test('\n')) return '\n'
  if (/[\^$]/.test(source) || re.test('') || re.test(WIDE_SEPARATOR)) return undefined
  return WIDE_SEPARATOR
}

let nextSetId = 0

function tryBuild (sources: string[], members: number[], out: PrefilterSet[]): void {
  if (sources.length === 0) return
  try {
    out.push({ id: nextSetId++, set: compileSet(sources, 'm'), members, factors: setFactors(sources.map(utf8ToBytes)), sources, slot: -1 })
  } catch {
    // Too large for one set (or one pattern the set rejects): split; a single pattern that
    // cannot join a set is left out and runs unfiltered.
    if (sources.length === 1) return
    const half = sources.length >> 1
    tryBuild(sources.slice(0, half), members.slice(0, half), out)
    tryBuild(sources.slice(half), members.slice(half), out)
  }
}

/**
 * Patterns in runs that fit one set (by count and size), as [from, to) ranges: so that each
 * set's DFA stays small enough not to run out of memory.
 */
export function setRuns (sources: readonly string[]): Array<[number, number]> {
  const runs: Array<[number, number]> = []
  let from = 0
  let size = 0
  sources.forEach((src, i) => {
    if (i > from && (i - from >= MAX_PATTERNS || size + src.length > MAX_SOURCE)) {
      runs.push([from, i])
      from = i
      size = 0
    }
    size += src.length
  })
  if (sources.length > from) runs.push([from, sources.length])
  return runs
}

/** Sets for a group's patterns (index i is member `first` + i), chunked by count and size. */
export function buildSets (sources: readonly string[], first = 0): PrefilterSet[] {
  const out: PrefilterSet[] = []
  for (const [from, to] of setRuns(sources)) tryBuild(sources.slice(from, to), Array.from({ length: to - from }, (_, k) => first + from + k), out)
  return out
}
