import type { TransformFn } from '../model.js'
import { bytes, SHORT, text } from '../byte-writer.js'

const B64 = /^[A-Za-z0-9+/]*/
const DIGIT = new Int8Array(256).fill(-1)
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
for (let i = 0; i < 64; i++) DIGIT[ALPHABET.charCodeAt(i)] = i

/**
 * `base64Decode`: decodes the Base64 text up to the first character outside the alphabet
 * (padding `=` ends it too); a last group of one character gives nothing, of two or three
 * one or two bytes. The result is bytes.
 */
export const base64Decode: TransformFn = s => {
  let end = 0
  while (end < s.length && end <= SHORT) {
    const c = s.charCodeAt(end)
    if (c > 255 || DIGIT[c] < 0) break
    end++
  }
  if (end === 0) return ''
  if (end > SHORT) {
    const m = B64.exec(s) as RegExpExecArray
    return Buffer.from(m[0], 'base64').toString('latin1')
  }
  const out = bytes(end)
  let len = 0
  let acc = 0
  let bits = 0
  for (let i = 0; i < end; i++) {
    acc = ((acc << 6) | DIGIT[s.charCodeAt(i)]) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[len++] = (acc >> bits) & 0xff
    }
  }
  return text(len)
}
