import type { TransformFn } from '../model.js'
import { isSpace } from '../bytes.js'

/** `trim`: drops C-isspace bytes at both ends. */
export const trim: TransformFn = s => {
  let a = 0
  let b = s.length
  while (a < b && isSpace(s.charCodeAt(a))) a++
  while (b > a && isSpace(s.charCodeAt(b - 1))) b--
  return a === 0 && b === s.length ? s : s.slice(a, b)
}
