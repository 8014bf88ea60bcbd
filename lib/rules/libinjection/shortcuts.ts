/**
 * Inputs the detectors cannot flag, told by one scan of the bytes, so the common short values
 * skip the tokenizers. Each rests on how libinjection tokenizes; the differential and unit tests
 * run through them like any input.
 */

/**
 * No '<' and no '=': not XSS in any context. Every dangerous token is a tag, a doctype or a
 * comment, which need a '<', or an attribute value, which follows an '='.
 */
export function cannotBeXss (s: Uint8Array, len: number): boolean {
  for (let i = 0; i < len; i++) {
    const c = s[i]
    if (c === 0x3c || c === 0x3d) return false
  }
  return true
}

/**
 * Only digits, or only ASCII letters and '_': one token (a number, or a word: keyword, function,
 * type ...), so a fingerprint of one token, and libinjection has no one-token SQLi fingerprint
 * but "X", which no number or word yields.
 */
export function cannotBeSqli (s: Uint8Array, len: number): boolean {
  if (len === 0) return true
  const first = s[0]!
  if (first >= 0x30 && first <= 0x39) {
    for (let i = 1; i < len; i++) {
      const c = s[i]!
      if (c < 0x30 || c > 0x39) return false
    }
    return true
  }
  for (let i = 0; i < len; i++) {
    const c = s[i]! | 0x20
    if (!((c >= 0x61 && c <= 0x7a) || s[i] === 0x5f)) return false
  }
  return true
}
