import type { TransformFn } from '../model.js'

const WS = /[\t\n\v\f\r \xa0]+/g
const ANY = /[\t\n\v\f\r \xa0]/

/** `removeWhitespace`: drops every whitespace byte (C isspace, and NBSP 0xa0). */
export const removeWhitespace: TransformFn = s => ANY.test(s) ? s.replace(WS, '') : s
