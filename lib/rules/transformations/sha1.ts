import { createHash } from 'node:crypto'
import type { TransformFn } from '../model.js'

/** `sha1`: the SHA-1 digest of the bytes, as 20 raw bytes. */
export const sha1: TransformFn = s => createHash('sha1').update(s, 'latin1').digest().toString('latin1')
