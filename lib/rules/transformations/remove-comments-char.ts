import type { TransformFn } from '../model.js'

const MARKS = /\/\*|\*\/|<!--|-->|--|#/g

/** `removeCommentsChar`: removes the comment marks `/*`, `*\/`, `<!--`, `-->`, `--` and `#` themselves. */
export const removeCommentsChar: TransformFn = s => {
  MARKS.lastIndex = 0
  return MARKS.test(s) ? s.replace(MARKS, '') : s
}
