import type { TransformFn } from '../model.js'
import { isSpace } from '../bytes.js'

/** `trimRight`: drops C-isspace bytes at the end. */
export const trimRight: TransformFn = s => {
  let b = s.length
  while (b > 0 && isSpace(s.charCodeAt(b - 1))) b--
  return b === s.length ? s : s.slice(0, b)
}
