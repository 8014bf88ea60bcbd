import type { TransformFn } from '../model.js'
import { codePointBytes, hexVal } from '../bytes.js'

/**
 * Named entities decoded. The first five are ModSecurity's (the `;` is optional, as in
 * ModSecurity); the rest are HTML5 names that XSS payloads use to hide punctuation. Names
 * are matched case-insensitively.
 */
export const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  quot: '"', amp: '&', lt: '<', gt: '>', nbsp: '\xa0', apos: "'",
  colon: ':', tab: '\t', newline: '\n', lpar: '(', rpar: ')', sol: '/', bsol: '\\', grave: '`',
  lsqb: '[', rsqb: ']', lcub: '{', rcub: '}', excl: '!', quest: '?', period: '.', comma: ',',
  semi: ';', equals: '=', plus: '+', num: '#', dollar: '$', percnt: '%', ast: '*', vert: '|',
  lowbar: '_', hyphen: '-', dash: '-', commat: '@', circ: '^', bne: '=', lbrack: '[', rbrack: ']'
}
const LEGACY = new Set(['quot', 'amp', 'lt', 'gt', 'nbsp'])
/** The names by length, so that a run of letters is compared in place with the few of its length. */
const BY_LENGTH: string[][] = []
for (const name of Object.keys(NAMED_ENTITIES)) (BY_LENGTH[name.length] ??= []).push(name)
const MAX_CP = 0x110000

function isAlnum (c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

/**
 * The entity name spelled by the ASCII letters and digits `s[from, to)`, case-insensitively, or
 * undefined: compared in place (a body holds an `&name=` per field, and none is an entity).
 * `| 0x20` lowers a letter and leaves a digit as it is, so it never makes one equal the other.
 */
function nameAt (s: string, from: number, to: number): string | undefined {
  const names = BY_LENGTH[to - from]
  if (names === undefined) return undefined
  next: for (const name of names) {
    for (let k = 0; k < name.length; k++) if ((s.charCodeAt(from + k) | 0x20) !== name.charCodeAt(k)) continue next
    return name
  }
  return undefined
}

/**
 * `htmlEntityDecode`: `&#DDD;`, `&#xHH;` (the `;` optional) and named entities. A code point
 * up to 0xff becomes that byte (as in ModSecurity), a larger one its UTF-8 bytes. Anything
 * that is not an entity is kept.
 */
export const htmlEntityDecode: TransformFn = s => {
  if (s.indexOf('&') === -1) return s
  let out = ''
  let from = 0
  const n = s.length
  for (let i = s.indexOf('&'); i !== -1 && i < n - 1; i = s.indexOf('&', i + 1)) {
    let j = i + 1
    if (s.charCodeAt(j) === 35 /* # */) {
      j++
      const hex = s.charCodeAt(j) === 120 || s.charCodeAt(j) === 88
      if (hex) j++
      const start = j
      let cp = 0
      for (; j < n; j++) {
        const d = hex ? hexVal(s.charCodeAt(j)) : (s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57 ? s.charCodeAt(j) - 48 : -1)
        if (d < 0) break
        if (cp < MAX_CP) cp = cp * (hex ? 16 : 10) + d
      }
      if (j === start) continue
      if (j < n && s.charCodeAt(j) === 59) j++
      out += s.slice(from, i) + codePointBytes(cp >= MAX_CP ? 0xfffd : cp)
      from = j
      i = j - 1
    } else {
      while (j < n && isAlnum(s.charCodeAt(j))) j++
      if (j === i + 1) continue
      const name = nameAt(s, i + 1, j)
      if (name === undefined) continue
      const value = NAMED_ENTITIES[name]
      const semi = j < n && s.charCodeAt(j) === 59
      if (!semi && !LEGACY.has(name)) continue
      out += s.slice(from, i) + value
      from = semi ? j + 1 : j
      i = from - 1
    }
  }
  return from === 0 ? s : out + s.slice(from)
}
