import type { TransformFn } from '../model.js'
import { percentDecode } from '../input.js'

/**
 * `urlDecode`: `%HH` to the byte HH and `+` to a space. An invalid or truncated escape
 * (`%zz`, `%4` at the end) is kept as it is: the request parser's decoding (../input.ts),
 * which is ModSecurity's non-strict one too.
 */
export const urlDecode: TransformFn = s => percentDecode(s, true)
