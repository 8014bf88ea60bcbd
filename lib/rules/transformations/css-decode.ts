import type { TransformFn } from '../model.js'
import { hexVal, isSpace, lowByteOfWide } from '../bytes.js'

/**
 * `cssDecode`: CSS 2 escapes. `\` with 1–6 hex digits gives one byte (the low byte of the
 * value, full-width ASCII folded, as in ModSecurity) and eats one following whitespace;
 * `\` + newline is removed; `\` + any other character gives that character; a trailing `\`
 * is removed. Its own loop, not backslash-escapes.ts's: that one keeps a trailing `\`, which
 * CSS removes.
 */
export const cssDecode: TransformFn = s => {
  let i = s.indexOf('\\')
  if (i === -1) return s
  let out = ''
  let from = 0
  const n = s.length
  for (; i !== -1; i = s.indexOf('\\', i + 1)) {
    out += s.slice(from, i)
    if (i + 1 >= n) {
      from = n
      break
    }
    let j = i + 1
    let v = 0
    while (j < n && j < i + 7 && hexVal(s.charCodeAt(j)) >= 0) {
      v = v * 16 + hexVal(s.charCodeAt(j))
      j++
    }
    if (j > i + 1) {
      out += String.fromCharCode(lowByteOfWide(v > 0xffff ? 0 : v >> 8, v & 0xff))
      if (j < n && isSpace(s.charCodeAt(j))) j++
      from = j
    } else if (s.charCodeAt(j) === 10) {
      from = j + 1
    } else {
      out += s[j]
      from = j + 1
    }
    i = from - 1
  }
  return out + s.slice(from)
}
