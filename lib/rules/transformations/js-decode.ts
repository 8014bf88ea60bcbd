import type { TransformFn } from '../model.js'
import { hexVal, isOctal, lowByteOfWide } from '../bytes.js'
import { replaceBackslashEscapes } from './backslash-escapes.js'
import type { EscapeEnd } from './backslash-escapes.js'

const SIMPLE: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' }

/**
 * `jsDecode`: JavaScript escapes. `\uHHHH` keeps the low byte (full-width ASCII folded, as in
 * ModSecurity), `\xHH`, `\OOO` (octal up to \377), `\a \b \f \n \r \t \v`; any other `\C`
 * gives `C`. A lone trailing backslash is kept.
 */
export const jsDecode: TransformFn = s => replaceBackslashEscapes(s, decodeEscape)

function decodeEscape (s: string, i: number, at: EscapeEnd): string {
  const n = s.length
  const c = s.charCodeAt(i + 1)
  if (c === 117 && i + 5 < n && hexVal(s.charCodeAt(i + 2)) >= 0 && hexVal(s.charCodeAt(i + 3)) >= 0 &&
    hexVal(s.charCodeAt(i + 4)) >= 0 && hexVal(s.charCodeAt(i + 5)) >= 0) {
    const hi = hexVal(s.charCodeAt(i + 2)) * 16 + hexVal(s.charCodeAt(i + 3))
    const lo = hexVal(s.charCodeAt(i + 4)) * 16 + hexVal(s.charCodeAt(i + 5))
    at.end = i + 6
    return String.fromCharCode(lowByteOfWide(hi, lo))
  }
  if (c === 120 && i + 3 < n && hexVal(s.charCodeAt(i + 2)) >= 0 && hexVal(s.charCodeAt(i + 3)) >= 0) {
    at.end = i + 4
    return String.fromCharCode(hexVal(s.charCodeAt(i + 2)) * 16 + hexVal(s.charCodeAt(i + 3)))
  }
  if (isOctal(c)) {
    let j = i + 1
    let v = 0
    // Three digits only while the value fits a byte (\377), as ModSecurity does.
    while (j < n && j < i + 4 && isOctal(s.charCodeAt(j))) {
      const next = v * 8 + s.charCodeAt(j) - 48
      if (next > 0xff) break
      v = next
      j++
    }
    at.end = j
    return String.fromCharCode(v)
  }
  at.end = i + 2
  return SIMPLE[s[i + 1]] ?? s[i + 1]
}
