import type { TransformFn } from '../model.js'

const LOWER = /[a-z]/
// Beyond ASCII, String#toUpperCase changes µ, ß, ÿ and more, which are bytes of UTF-8 sequences
// here: only an ASCII string takes it.
const NON_ASCII = /[^\x00-\x7f]/

/** `uppercase`: ASCII a–z to A–Z; other bytes unchanged (C `toupper`). */
// lowercase.ts is this with the other range and the other String method, whose pitfalls differ (see above): each stays plain code on a per-byte path.
export const uppercase: TransformFn = s => {
  if (!LOWER.test(s)) return s
  if (!NON_ASCII.test(s)) return s.toUpperCase()
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    out += c >= 97 && c <= 122 ? String.fromCharCode(c - 32) : s[i]
  }
  return out
}
