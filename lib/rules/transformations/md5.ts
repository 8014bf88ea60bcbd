import { createHash } from 'node:crypto'
import type { TransformFn } from '../model.js'

/** `md5`: the MD5 digest of the bytes, as 16 raw bytes. */
export const md5: TransformFn = s => createHash('md5').update(s, 'latin1').digest().toString('latin1')
