import type { TransformFn } from '../model.js'

const UPPER = /[A-Z]/
// Latin-1 capitals: String#toLowerCase would fold them, and they are bytes of UTF-8 sequences.
const LATIN1_UPPER = /[\xc0-\xde]/

/** `lowercase`: ASCII A–Z to a–z; other bytes unchanged (C `tolower`). */
export const lowercase: TransformFn = s => {
  if (!UPPER.test(s)) return s
  if (!LATIN1_UPPER.test(s)) return s.toLowerCase()
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i]
  }
  return out
}
