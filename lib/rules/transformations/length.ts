import type { TransformFn } from '../model.js'

/** `length`: the number of bytes, as decimal text. */
export const length: TransformFn = s => String(s.length)
