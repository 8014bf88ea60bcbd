import type { TransformFn } from '../model.js'

const UPPER = /[A-Z]/
// Beyond ASCII, String#toLowerCase folds Latin-1 capitals (and more), which are bytes of UTF-8
// sequences here: only an ASCII string takes it.
const NON_ASCII = /[^\x00-\x7f]/

/** `lowercase`: ASCII A–Z to a–z; other bytes unchanged (C `tolower`). */
// uppercase.ts is this with the other range and the other String method, whose pitfalls differ (see above): each stays plain code on a per-byte path.
export const lowercase: TransformFn = s => {
  if (!UPPER.test(s)) return s
  if (!NON_ASCII.test(s)) return s.toLowerCase()
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i]
  }
  return out
}
