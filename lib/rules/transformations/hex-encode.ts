import type { TransformFn } from '../model.js'

/** `hexEncode`: each byte as two lowercase hex digits. */
export const hexEncode: TransformFn = s => Buffer.from(s, 'latin1').toString('hex')
