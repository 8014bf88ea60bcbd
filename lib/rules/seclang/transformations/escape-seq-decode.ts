import { hexVal, isOctal } from '../../bytes.js'

const SIMPLE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '?': 63, "'": 39, '"': 34 }

/**
 * `t:escapeSeqDecode`: ANSI C escapes (`\n`, `\xHH`, `\0`–`\777` octal …) as ModSecurity's
 * ansi_c_sequences_decode decodes them. An escape it does not know keeps the character and
 * drops the backslash, and so does `\x` without two hex digits.
 */
export function escapeSeqDecode (input: string): string {
  if (!input.includes('\\')) return input
  let out = ''
  const n = input.length
  let i = 0
  while (i < n) {
    const ch = input[i]!
    if (ch !== '\\' || i + 1 >= n) {
      out += ch
      i++
      continue
    }
    const next = input[i + 1]!
    const simple = SIMPLE[next]
    if (simple !== undefined) {
      out += String.fromCharCode(simple)
      i += 2
      continue
    }
    if (next === 'x' || next === 'X') {
      if (i + 3 < n && hexVal(input.charCodeAt(i + 2)) !== -1 && hexVal(input.charCodeAt(i + 3)) !== -1) {
        out += String.fromCharCode(hexVal(input.charCodeAt(i + 2)) * 16 + hexVal(input.charCodeAt(i + 3)))
        i += 4
        continue
      }
    } else if (isOctal(next.charCodeAt(0))) {
      let j = 0
      while (i + 1 + j < n && j < 3 && isOctal(input.charCodeAt(i + 1 + j))) j++
      out += String.fromCharCode(Number.parseInt(input.slice(i + 1, i + 1 + j), 8) & 0xff)
      i += 1 + j
      continue
    }
    out += next
    i += 2
  }
  return out
}
