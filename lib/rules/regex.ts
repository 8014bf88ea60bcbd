import RE2 from 're2'

/**
 * Values are matched as bytes, as ModSecurity does: every string the engine sees is a "byte
 * string", one character per byte (what Node gives for a request line and headers, which it
 * reads as latin1). Percent-decoding yields bytes too, so `%c3%a9` and a raw `é` in a header
 * become the same two characters. RE2 runs in UTF-8 mode, where a character U+0000–U+00FF of a
 * byte string is one code point, so `\xNN` in a pattern matches the byte NN. Non-ASCII
 * literals in a pattern are turned into their UTF-8 bytes the same way, so `é` in a pattern
 * matches an `é` in the request however it was encoded.
 */

export type Regex = RE2

const NON_ASCII = /[^\x00-\x7f]/

/** A Unicode string (a parsed JSON value, a pattern from a rule file) as a byte string. */
export function utf8ToBytes (s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s
}

/** A byte string back as Unicode text, for logs: invalid UTF-8 shows as U+FFFD. */
export function bytesToUtf8 (s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s
}

/** Compiles a pattern with RE2; throws an Error whose message is RE2's reason. */
export function compileRegex (source: string, flags = ''): Regex {
  return new RE2(utf8ToBytes(source), flags)
}

/** Compiles a set of patterns (for prefiltering); throws when RE2 cannot build it. */
export function compileSet (sources: string[], flags = ''): InstanceType<typeof RE2.Set> {
  return new RE2.Set(sources.map(utf8ToBytes), flags)
}

export type RegexSet = InstanceType<typeof RE2.Set>

const META = /[\\^$.*+?()[\]{}|\-/]/g

/** A literal as an RE2 pattern: metacharacters escaped, bytes >= 0x80 as `\xNN`. */
export function escapeRegex (literal: string): string {
  let s = literal.replace(META, '\\$&')
  if (NON_ASCII.test(s)) {
    s = s.replace(/[^\x00-\x7f]/g, c => {
      const code = c.charCodeAt(0)
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\x{${code.toString(16)}}`
    })
  }
  // Control bytes are written escaped so the source stays printable in messages.
  return s.replace(/[\x00-\x1f]/g, c => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
