/**
 * Header-name handling shared by the forensic formatter: ASCII-only case folding, as httpd's
 * apr_table compares keys with strcasecmp in the C locale. `String#toLowerCase` would also fold
 * latin1 letters (0xc0–0xde), which a header name received as bytes can hold.
 */

/** Whether two names are equal ignoring ASCII case. */
export function sameName (a: string, b: string): boolean {
  const n = a.length
  if (n !== b.length) return false
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x === y) continue
    if (x >= 65 && x <= 90) x += 32
    if (y >= 65 && y <= 90) y += 32
    if (x !== y) return false
  }
  return true
}

/** The name with A–Z folded to a–z, and nothing else changed. Returns `s` when already folded. */
export function asciiLower (s: string): string {
  let i = 0
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 65 && c <= 90) break
  }
  if (i === s.length) return s
  let out = s.slice(0, i)
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i)
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i]
  }
  return out
}

/** A small set of header names matched without regard to ASCII case, built once at register time. */
export class HeaderNameSet {
  private readonly names: readonly string[]

  constructor (names: Iterable<string>) {
    const list: string[] = []
    for (const n of names) {
      const folded = asciiLower(n)
      if (!list.includes(folded)) list.push(folded)
    }
    this.names = list
  }

  get size (): number {
    return this.names.length
  }

  has (name: string): boolean {
    const names = this.names
    for (let i = 0; i < names.length; i++) {
      if (sameName(names[i], name)) return true
    }
    return false
  }

  toArray (): string[] {
    return [...this.names]
  }
}
