import type { TransformFn } from '../model.js'

const LOWER = /[a-z]/
const LATIN1_LOWER = /[\xdf-\xff]/

/** `uppercase`: ASCII a–z to A–Z; other bytes unchanged (C `toupper`). */
export const uppercase: TransformFn = s => {
  if (!LOWER.test(s)) return s
  if (!LATIN1_LOWER.test(s)) return s.toUpperCase()
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    out += c >= 97 && c <= 122 ? String.fromCharCode(c - 32) : s[i]
  }
  return out
}
