import type { TransformFn } from '../model.js'

const RUN = /[\t\n\v\f\r \xa0]+/g
const NEEDS = /[\t\n\v\f\r\xa0]| {2}/

/** `compressWhitespace`: every run of whitespace (C isspace, and NBSP 0xa0) becomes one space. */
export const compressWhitespace: TransformFn = s => NEEDS.test(s) ? s.replace(RUN, ' ') : s
