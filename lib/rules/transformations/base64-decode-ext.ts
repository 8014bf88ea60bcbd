import type { TransformFn } from '../model.js'

const NOT_B64 = /[^A-Za-z0-9+/]/g

/** `base64DecodeExt`: forgiving Base64: characters outside the alphabet (and `=`) are skipped. */
export const base64DecodeExt: TransformFn = s => {
  const text = s.replace(NOT_B64, '')
  return text.length === 0 ? '' : Buffer.from(text, 'base64').toString('latin1')
}
