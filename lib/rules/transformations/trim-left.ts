import type { TransformFn } from '../model.js'
import { isSpace } from '../bytes.js'

/** `trimLeft`: drops C-isspace bytes at the start. */
export const trimLeft: TransformFn = s => {
  let a = 0
  while (a < s.length && isSpace(s.charCodeAt(a))) a++
  return a === 0 ? s : s.slice(a)
}
