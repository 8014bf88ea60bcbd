/**
 * The scan `escapeSeqDecode` and `jsDecode` share: every `\` followed by a character is an
 * escape, replaced by what the transformation's `decode` makes of it; a trailing `\` is kept.
 * (`cssDecode` scans alike but removes a trailing `\` and `\` + newline, so it keeps its own loop.)
 */

/** Where the text resumes after the escape `decode` read; one object reused, so no escape allocates. */
export interface EscapeEnd { end: number }

/**
 * Decodes the escape at `s[i]` (a `\`, with `i + 1 < s.length`): returns its replacement and sets
 * `at.end` to the index just past it.
 */
export type EscapeDecoder = (s: string, i: number, at: EscapeEnd) => string

/** `s` with each escape replaced; `s` itself when it holds none. */
export function replaceBackslashEscapes (s: string, decode: EscapeDecoder): string {
  let i = s.indexOf('\\')
  if (i === -1) return s
  let out = ''
  let from = 0
  const n = s.length
  const at: EscapeEnd = { end: 0 }
  for (; i !== -1 && i < n - 1; i = s.indexOf('\\', i + 1)) {
    const rep = decode(s, i, at)
    out += s.slice(from, i) + rep
    from = at.end
    i = at.end - 1
  }
  return from === 0 ? s : out + s.slice(from)
}
