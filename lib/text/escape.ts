import { isUtf8 } from 'node:buffer'

/**
 * The three escapings of nginx `log_format … escape=`, on byte strings.
 *
 * Request-derived strings are byte strings: Node's HTTP parser decodes the request line and header
 * bytes as latin1, so each char code is the byte received. A char above 0xff cannot come from the
 * wire; such a string is taken as text and its UTF-8 bytes are what gets escaped.
 *
 * - `default` (ngx_http_log_escape): `"`, `\`, bytes below 0x20 and bytes from 0x7f up become
 *   `\xHH` (uppercase hex). The output is pure ASCII, byte for byte what nginx writes.
 * - `json` (ngx_escape_json): `"` and `\` get a backslash; \n \r \t \b \f their short escapes;
 *   other bytes below 0x20 `\u00HH` (uppercase). Bytes from 0x80 up pass through as in nginx.
 * - `none`: the value as it is.
 *
 * Lines are JavaScript strings that the channel writes as UTF-8. Bytes from 0x80 up that form valid
 * UTF-8 are therefore decoded first, so that the bytes on the wire are the bytes received, as
 * nginx writes them; a value that is not valid UTF-8 keeps its bytes as the characters U+0080 to
 * U+00FF (lossless, but two bytes each on the wire, where nginx writes one).
 * Two differences from nginx, on purpose, so that no value can split or forge a line, even for a
 * reader that takes U+2028/U+2029 as line ends: `none` writes CR, LF, U+2028 and U+2029 as
 * `\x0D`, `\x0A`, `\xE2\x80\xA8`, `\xE2\x80\xA9`; `json` writes U+2028 and U+2029 as `\u2028`
 * and `\u2029` (valid JSON escapes of the same text).
 */
export type Escape = 'default' | 'json' | 'none'

export const ESCAPES: readonly Escape[] = ['default', 'json', 'none']

const UPPER_HEX = '0123456789ABCDEF'

/** `\xHH` for each byte. */
const X_ESCAPE: readonly string[] = Array.from({ length: 256 }, (_, b) => '\\x' + UPPER_HEX[b >> 4] + UPPER_HEX[b & 15])

/** ngx_escape_json's escapes for bytes below 0x20, `"` and `\`. */
const JSON_ESCAPE: readonly string[] = Array.from({ length: 0x60 }, (_, b) => {
  if (b === 0x22) return '\\"'
  if (b === 0x5c) return '\\\\'
  if (b >= 0x20) return ''
  switch (b) {
    case 0x0a: return '\\n'
    case 0x0d: return '\\r'
    case 0x09: return '\\t'
    case 0x08: return '\\b'
    case 0x0c: return '\\f'
    default: return '\\u00' + UPPER_HEX[b >> 4] + UPPER_HEX[b & 15]
  }
})

function needsDefault (c: number): boolean {
  return c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c
}

/** nginx `escape=default`. Returns `s` itself when nothing needs escaping. */
export function escapeDefault (s: string): string {
  let i = 0
  const n = s.length
  while (i < n && !needsDefault(s.charCodeAt(i))) i++
  if (i === n) return s
  let out = s.slice(0, i)
  for (; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff) return escapeBytes(Buffer.from(s, 'utf8'))
    out += needsDefault(c) ? X_ESCAPE[c] : s[i]
  }
  return out
}

function escapeBytes (b: Buffer): string {
  let out = ''
  for (let i = 0; i < b.length; i++) {
    const c = b[i]
    out += needsDefault(c) ? X_ESCAPE[c] : String.fromCharCode(c)
  }
  return out
}

/** Bytes from 0x80 up (as latin1 chars), or a char above 0xff. */
const HIGH = /[\u0080-\uffff]/

/**
 * The text a byte string stands for: valid UTF-8 decoded, anything else as it is. Returns `s`
 * itself for pure ASCII, the common case.
 */
export function asText (s: string): string {
  if (!HIGH.test(s)) return s
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) return s // already text
  }
  const bytes = Buffer.from(s, 'latin1')
  return isUtf8(bytes) ? bytes.toString('utf8') : s
}

const JSON_SPECIAL = /["\\\u0000-\u001f\u2028\u2029]/

/** nginx `escape=json`, on the text of `s`; U+2028 and U+2029 also get `\u` escapes (see above). */
export function escapeJson (s: string): string {
  const t = asText(s)
  if (!JSON_SPECIAL.test(t)) return t
  let out = ''
  let from = 0
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i)
    if (c < 0x60 && JSON_ESCAPE[c] !== '') {
      out += t.slice(from, i) + JSON_ESCAPE[c]
      from = i + 1
    } else if (c === 0x2028 || c === 0x2029) {
      out += t.slice(from, i) + (c === 0x2028 ? '\\u2028' : '\\u2029')
      from = i + 1
    }
  }
  return out + t.slice(from)
}

const LINE_BREAK = /[\r\n\u2028\u2029]/

/** nginx `escape=none`, on the text of `s`, with line breaks still escaped (see above). */
export function escapeNone (s: string): string {
  const t = asText(s)
  if (!LINE_BREAK.test(t)) return t
  return t.replaceAll('\r', '\\x0D').replaceAll('\n', '\\x0A').replaceAll('\u2028', '\\xE2\\x80\\xA8').replaceAll('\u2029', '\\xE2\\x80\\xA9')
}

export type EscapeFn = (s: string) => string

export function escaperOf (escape: Escape): EscapeFn {
  switch (escape) {
    case 'json': return escapeJson
    case 'none': return escapeNone
    default: return escapeDefault
  }
}

/** What a variable that has no value writes: `-` with `default`, nothing with `json` and `none`. */
export function missingOf (escape: Escape): string {
  return escape === 'default' ? '-' : ''
}
