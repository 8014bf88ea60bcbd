import type { Regex } from './regex.js'

/**
 * `VAR:/regex/` selects keys by pattern. The keys a pattern meets are few and recur on every
 * request (TX variable names, header names, argument names), while a regex call costs far
 * more than a map read; so each pattern remembers its answers, up to MAX_KEYS keys (keys come
 * from requests, so the memory is bounded; past the bound the pattern simply runs).
 */
const MAX_KEYS = 2048
const answers = new WeakMap<Regex, Map<string, boolean>>()

export function keyMatches (re: Regex, key: string): boolean {
  let known = answers.get(re)
  if (known === undefined) answers.set(re, known = new Map())
  let hit = known.get(key)
  if (hit === undefined) {
    hit = re.test(key)
    if (known.size < MAX_KEYS) known.set(key, hit)
  }
  return hit
}
