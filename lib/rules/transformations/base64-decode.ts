import type { TransformFn } from '../model.js'

const B64 = /^[A-Za-z0-9+/]*/

/**
 * `base64Decode`: decodes the Base64 text up to the first character outside the alphabet
 * (padding `=` ends it too). The result is bytes.
 */
export const base64Decode: TransformFn = s => {
  const m = B64.exec(s)
  const text = m === null ? '' : m[0]
  if (text.length === 0) return ''
  return Buffer.from(text, 'base64').toString('latin1')
}
