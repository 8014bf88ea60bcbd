/**
 * `@validateUtf8Encoding`: matches when the byte string is not well-formed UTF-8: a truncated
 * sequence, a stray continuation byte, an overlong form, a surrogate, or a code point past
 * U+10FFFF (the checks of ModSecurity's detect_utf8_character).
 */
export function validateUtf8Encoding (value: string): boolean {
  const n = value.length
  let i = 0
  while (i < n) {
    const c = value.charCodeAt(i)
    if (c > 0xff) return true // not a byte string: nothing valid can be said
    if (c < 0x80) { i++; continue }
    let need: number
    let cp: number
    if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f } else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f } else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07 } else return true
    if (i + need >= n) return true
    for (let k = 1; k <= need; k++) {
      const d = value.charCodeAt(i + k)
      if ((d & 0xc0) !== 0x80) return true
      cp = (cp << 6) | (d & 0x3f)
    }
    if ((need === 2 && cp < 0x800) || (need === 3 && (cp < 0x10000 || cp > 0x10ffff))) return true
    if (cp >= 0xd800 && cp <= 0xdfff) return true
    i += need + 1
  }
  return false
}
