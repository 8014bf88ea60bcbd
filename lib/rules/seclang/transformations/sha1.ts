import { createHash } from 'node:crypto'

/** `t:sha1`: the 20-byte binary SHA-1 digest of the value, as a byte string. */
export function sha1 (input: string): string {
  return createHash('sha1').update(input, 'latin1').digest('latin1')
}
