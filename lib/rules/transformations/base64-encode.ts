import type { TransformFn } from '../model.js'

/** `base64Encode`: the bytes as Base64. */
export const base64Encode: TransformFn = s => Buffer.from(s, 'latin1').toString('base64')
