/** `t:hexEncode`: every byte as two lower-case hexadecimal digits. */
export function hexEncode (input: string): string {
  return Buffer.from(input, 'latin1').toString('hex')
}
