/**
 * `@validateUrlEncoding`: matches when a `%` is not followed by two hexadecimal digits, as
 * ModSecurity's validate_url_encoding reports "Non-hexadecimal digits used" or "Not enough
 * characters at the end of input".
 */
export function validateUrlEncoding (value: string): boolean {
  let i = value.indexOf('%')
  while (i !== -1) {
    if (i + 2 >= value.length) return true
    if (!isHex(value.charCodeAt(i + 1)) || !isHex(value.charCodeAt(i + 2))) return true
    i = value.indexOf('%', i + 3)
  }
  return false
}

function isHex (c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
}
