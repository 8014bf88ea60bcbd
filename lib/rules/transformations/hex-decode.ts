import type { TransformFn } from '../model.js'

const HEX = /^(?:[0-9a-fA-F]{2})*$/

/**
 * `hexDecode`: hex pairs to bytes (`414243` gives `ABC`). Text that is not an even run of hex
 * digits is kept as it is (Coraza's behaviour), so a non-hex value is never garbled.
 */
export const hexDecode: TransformFn = s => {
  if (s.length === 0 || !HEX.test(s)) return s
  return Buffer.from(s, 'hex').toString('latin1')
}
