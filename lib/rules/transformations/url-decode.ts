import type { TransformFn } from '../model.js'
import { hexVal } from '../bytes.js'

/**
 * `urlDecode`: `%HH` to the byte HH and `+` to a space. An invalid or truncated escape
 * (`%zz`, `%4` at the end) is kept as it is.
 */
const PLUS = /\+/g
const PCT_U = /%u/i

export const urlDecode: TransformFn = s => {
  if (s.indexOf('%') === -1) return s.indexOf('+') === -1 ? s : s.replace(PLUS, ' ')
  // unescape() decodes %HH to the byte and keeps invalid escapes, as here; it also reads
  // %uHHHH, which urlDecode does not: only without one is it used.
  if (!PCT_U.test(s)) return unescape(s.indexOf('+') === -1 ? s : s.replace(PLUS, ' '))
  let out = ''
  let from = 0
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c === 43) {
      out += s.slice(from, i) + ' '
      from = i + 1
    } else if (c === 37 && i + 2 < n) {
      const hi = hexVal(s.charCodeAt(i + 1))
      const lo = hexVal(s.charCodeAt(i + 2))
      if (hi >= 0 && lo >= 0) {
        out += s.slice(from, i) + String.fromCharCode(hi * 16 + lo)
        i += 2
        from = i + 1
      }
    }
  }
  return from === 0 ? s : out + s.slice(from)
}
