/** Byte-level helpers shared by transformations (values are byte strings; see regex.ts). */

/** The value of a hex digit character code, or -1. */
export function hexVal (c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/** C `isspace`: space, \t, \n, \v, \f, \r. */
export function isSpace (c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13)
}

/** `isspace` or NBSP (0xa0), the set ModSecurity's whitespace transformations use. */
export function isSpaceOrNbsp (c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0
}

export function isOctal (c: number): boolean {
  return c >= 48 && c <= 55
}

/**
 * A code point as bytes: one byte up to 0xff (ModSecurity's behaviour for entities and
 * escapes), its UTF-8 bytes above.
 */
export function codePointBytes (cp: number): string {
  if (cp <= 0xff) return String.fromCharCode(cp)
  if (cp > 0x10ffff) cp = 0xfffd
  return Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1')
}

/**
 * The byte ModSecurity keeps of a 16-bit escape (`%uHHHH`, `\uHHHH`): the low byte, with
 * full-width ASCII (U+FF01–U+FF5E) folded to ASCII.
 */
export function lowByteOfWide (hi: number, lo: number): number {
  if (hi === 0xff && lo > 0 && lo < 0x5f) return lo + 0x20
  return lo
}
