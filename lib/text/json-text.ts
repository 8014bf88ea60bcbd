import { asText } from './escape.js'

/**
 * JSON string literals for the access line, exactly as `JSON.stringify` (and the json writer's
 * U+2028/U+2029 escapes) would write them. Most values are printable ASCII without `"` or `\`:
 * one scan proves it and the literal is the value itself; anything else takes the full path.
 * The `Inner` forms leave out the quotes, for writers that hold them in their constant pieces.
 */

/** A character JSON does not write as it is: below 0x20, past 0x7f, `"` or `\\`. */
const NOT_PLAIN = /[^\x20\x21\x23-\x5b\x5d-\x7f]/
/** Up to this length a loop costs less than a regular expression's call. */
const SHORT = 12

/**
 * Past a few characters the scan is a regular expression, whose compiled matcher reads any of
 * V8's string representations natively: a loop of `charCodeAt` here sees values of every
 * representation (sliced, cons, internalized, sequential), its property loads go megamorphic,
 * and each character then pays a generic lookup (`LoadIC_Megamorphic` under `perf`).
 */
function plain (s: string): boolean {
  if (s.length > SHORT) return !NOT_PLAIN.test(s)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c > 0x7f || c === 0x22 || c === 0x5c) return false
  }
  return true
}

function stringify (t: string): string {
  const j = JSON.stringify(t)
  if (j.indexOf('\u2028') === -1 && j.indexOf('\u2029') === -1) return j
  return j.replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029')
}

/** The JSON literal of a string. */
export function jsonString (s: string): string {
  return plain(s) ? '"' + s + '"' : stringify(s)
}

/** The JSON literal of the text of a byte string (see `asText`). */
export function jsonText (s: string): string {
  return plain(s) ? '"' + s + '"' : stringify(asText(s))
}

/** `jsonString(s)` without its quotes. */
export function jsonInner (s: string): string {
  return plain(s) ? s : stringify(s).slice(1, -1)
}

/** `jsonText(s)` without its quotes. */
export function jsonTextInner (s: string): string {
  return plain(s) ? s : stringify(asText(s)).slice(1, -1)
}
