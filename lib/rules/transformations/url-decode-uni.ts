import type { TransformFn } from '../model.js'
import { hexVal, lowByteOfWide } from '../bytes.js'

/**
 * `urlDecodeUni`: `urlDecode` plus the IIS `%uHHHH` form, which keeps the low byte (and folds
 * full-width ASCII U+FF01–U+FF5E to ASCII), so `%u0027` and `%uff07` both give `'`.
 */
const PLUS = /\+/g
const PCT_U = /%u/i

export const urlDecodeUni: TransformFn = s => {
  if (s.indexOf('%') === -1) return s.indexOf('+') === -1 ? s : s.replace(PLUS, ' ')
  // Without %u, this is unescape() (native): %HH to the byte, invalid escapes kept.
  if (!PCT_U.test(s)) return unescape(s.indexOf('+') === -1 ? s : s.replace(PLUS, ' '))
  let out = ''
  let from = 0
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c === 43) {
      out += s.slice(from, i) + ' '
      from = i + 1
      continue
    }
    if (c !== 37) continue
    const u = s.charCodeAt(i + 1)
    if (u === 117 || u === 85) {
      if (i + 5 >= n) continue
      const a = hexVal(s.charCodeAt(i + 2))
      const b = hexVal(s.charCodeAt(i + 3))
      const d = hexVal(s.charCodeAt(i + 4))
      const e = hexVal(s.charCodeAt(i + 5))
      if (a < 0 || b < 0 || d < 0 || e < 0) continue
      out += s.slice(from, i) + String.fromCharCode(lowByteOfWide(a * 16 + b, d * 16 + e))
      i += 5
      from = i + 1
    } else if (i + 2 < n) {
      const hi = hexVal(u)
      const lo = hexVal(s.charCodeAt(i + 2))
      if (hi < 0 || lo < 0) continue
      out += s.slice(from, i) + String.fromCharCode(hi * 16 + lo)
      i += 2
      from = i + 1
    }
  }
  return from === 0 ? s : out + s.slice(from)
}
