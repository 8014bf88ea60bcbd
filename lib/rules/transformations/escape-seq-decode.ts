import type { TransformFn } from '../model.js'
import { hexVal, isOctal } from '../bytes.js'
import { replaceBackslashEscapes } from './backslash-escapes.js'
import type { EscapeEnd } from './backslash-escapes.js'

const SIMPLE: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '?': '?', "'": "'", '"': '"'
}

/**
 * `escapeSeqDecode`: ANSI C escapes: `\a \b \f \n \r \t \v \\ \? \' \"`, `\xHH`, `\OOO`
 * (octal, up to three digits). An unknown `\C` gives `C`; a trailing `\` is kept.
 */
export const escapeSeqDecode: TransformFn = s => replaceBackslashEscapes(s, decodeEscape)

function decodeEscape (s: string, i: number, at: EscapeEnd): string {
  const n = s.length
  const ch = s[i + 1]
  const c = s.charCodeAt(i + 1)
  at.end = i + 2
  if (SIMPLE[ch] !== undefined) return SIMPLE[ch]
  if ((c === 120 || c === 88) && i + 3 < n && hexVal(s.charCodeAt(i + 2)) >= 0 && hexVal(s.charCodeAt(i + 3)) >= 0) {
    at.end = i + 4
    return String.fromCharCode(hexVal(s.charCodeAt(i + 2)) * 16 + hexVal(s.charCodeAt(i + 3)))
  }
  if (isOctal(c)) {
    let j = i + 1
    let v = 0
    while (j < n && j < i + 4 && isOctal(s.charCodeAt(j))) v = v * 8 + s.charCodeAt(j++) - 48
    at.end = j
    return String.fromCharCode(v & 0xff)
  }
  return ch
}
