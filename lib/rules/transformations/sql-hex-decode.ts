import type { TransformFn } from '../model.js'

const SQL_HEX = /0x((?:[0-9a-fA-F]{2})+)/gi

/** `sqlHexDecode`: SQL hex literals (`0x414243`) to their bytes (`ABC`); the rest unchanged. */
export const sqlHexDecode: TransformFn = s => {
  if (s.indexOf('0x') === -1 && s.indexOf('0X') === -1) return s
  return s.replace(SQL_HEX, (_m, hex: string) => Buffer.from(hex, 'hex').toString('latin1'))
}
