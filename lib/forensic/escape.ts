/**
 * The escaping of httpd's mod_log_forensic (`log_escape`, test_char flag T_ESCAPE_FORENSIC): every
 * byte that is not printable ASCII (below 0x20 or from 0x7f up), and every `|`, `:` and `%`, is
 * written as `%` plus two lowercase hex digits. Space stays as it is.
 *
 * Strings here are byte strings: Node's HTTP parser decodes the request line and header bytes as
 * latin1, so each char code is the byte received. A char above 0xff cannot come from the wire;
 * it is escaped as its UTF-8 bytes, so that an app-made string is still logged losslessly.
 */

/** 1 where the byte must be escaped. */
export const FORENSIC_ESCAPE: Uint8Array = (() => {
  const t = new Uint8Array(256)
  for (let b = 0; b < 256; b++) {
    if (b < 0x20 || b >= 0x7f || b === 0x7c /* | */ || b === 0x3a /* : */ || b === 0x25 /* % */) t[b] = 1
  }
  return t
})()

/** `%xx` for every byte, built once. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => '%' + b.toString(16).padStart(2, '0'))

/** A character `FORENSIC_ESCAPE` marks, or one past 0xff: the class is made from the table, so the two cannot disagree. */
const ESCAPED = new RegExp(`[^${Array.from(FORENSIC_ESCAPE.keys()).filter(b => FORENSIC_ESCAPE[b] === 0).map(b => '\\x' + b.toString(16).padStart(2, '0')).join('')}]`)
/** Up to this length a loop costs less than a regular expression's call. */
const SHORT = 12

/**
 * Where the first character to escape is, or `s.length`. Past a few characters a regular
 * expression finds it (its matcher reads every string representation natively; a `charCodeAt`
 * loop that sees headers of many representations goes megamorphic and pays a generic lookup
 * per character).
 */
function cleanPrefix (s: string): number {
  const n = s.length
  if (n > SHORT) {
    const at = s.search(ESCAPED)
    return at === -1 ? n : at
  }
  const table = FORENSIC_ESCAPE
  let i = 0
  for (; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff || table[c] === 1) break
  }
  return i
}

/** Whether `s` needs no escaping at all: the common case, answered without allocating. */
export function isClean (s: string): boolean {
  return cleanPrefix(s) === s.length
}

/** The escaped form of a byte string; returns `s` itself when nothing needs escaping. */
export function forensicEscape (s: string): string {
  const table = FORENSIC_ESCAPE
  const n = s.length
  // The clean prefix, found without building anything.
  let i = cleanPrefix(s)
  if (i === n) return s
  let out = s.slice(0, i)
  let run = i
  for (; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c <= 0xff && table[c] === 0) continue
    if (run < i) out += s.slice(run, i)
    if (c <= 0xff) {
      out += HEX[c]
    } else {
      out += escapeWide(s, i)
      // A surrogate pair is one code point: skip its second half.
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1)
        if (d >= 0xdc00 && d <= 0xdfff) i++
      }
    }
    run = i + 1
  }
  if (run < n) out += s.slice(run)
  return out
}

/** The UTF-8 bytes of the code point at `i`, escaped (the rare path: not from the wire). */
function escapeWide (s: string, i: number): string {
  const cp = s.codePointAt(i) as number
  const bytes = Buffer.from(String.fromCodePoint(cp), 'utf8')
  let out = ''
  for (const b of bytes) out += HEX[b]
  return out
}

function hexValue (c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  return -1
}

/**
 * The byte string that `forensicEscape` escaped. A `%` not followed by two hex digits is kept as it
 * is, since httpd never writes one; `strict` makes it an error instead.
 */
export function forensicUnescape (s: string, strict = false): string {
  let pct = s.indexOf('%')
  if (pct === -1) return s
  let out = ''
  let run = 0
  while (pct !== -1) {
    const hi = pct + 2 < s.length ? hexValue(s.charCodeAt(pct + 1)) : -1
    const lo = hi === -1 ? -1 : hexValue(s.charCodeAt(pct + 2))
    if (lo === -1) {
      if (strict) throw new SyntaxError(`forensic: bad escape at offset ${pct}`)
      pct = s.indexOf('%', pct + 1)
      continue
    }
    out += s.slice(run, pct) + String.fromCharCode(hi * 16 + lo)
    run = pct + 3
    pct = s.indexOf('%', run)
  }
  return out + s.slice(run)
}
