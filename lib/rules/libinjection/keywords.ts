import { SQL_KEYWORDS } from './data.js'

/**
 * libinjection's keyword lookup (bsearch_keyword_type over sql_keywords) as an open-addressing
 * hash table over bytes, so a lookup allocates nothing. A word matches when its bytes, a-z
 * upper-cased, equal a table entry: the same answer as libinjection's case-folding binary search
 * (entries are upper-case ASCII, so a NUL or a byte >= 0x80 never matches).
 */
const entries = SQL_KEYWORDS.split('\n').filter(line => line.length > 0)
const SIZE = 1 << 15 // > 2 x the entry count: short probe chains
const MASK = SIZE - 1
const slotStart = new Int32Array(SIZE).fill(-1)
const slotLength = new Uint8Array(SIZE)
const slotType = new Uint8Array(SIZE)
const words = new Uint8Array(entries.reduce((n, e) => n + e.length, 0))

function hashOf (bytes: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < len; i++) {
    let c = bytes[off + i]!
    if (c >= 0x61 && c <= 0x7a) c -= 0x20
    h = Math.imul(h ^ c, 0x01000193)
  }
  return (h ^ (h >>> 15)) & MASK
}

let at = 0
for (const entry of entries) {
  const tab = entry.indexOf('\t')
  const word = entry.slice(0, tab)
  for (let i = 0; i < word.length; i++) words[at + i] = word.charCodeAt(i)
  let slot = hashOf(words, at, word.length)
  while (slotStart[slot] !== -1) slot = (slot + 1) & MASK
  slotStart[slot] = at
  slotLength[slot] = word.length
  slotType[slot] = entry.charCodeAt(tab + 1)
  at += word.length
}

/** The token type (a character code) of the word `bytes[off, off + len)`, or 0 when it is none. */
export function keywordType (bytes: Uint8Array, off: number, len: number): number {
  if (len === 0 || len > 31) return 0
  let slot = hashOf(bytes, off, len)
  for (;;) {
    const start = slotStart[slot]!
    if (start === -1) return 0
    if (slotLength[slot] === len) {
      let i = 0
      for (; i < len; i++) {
        let c = bytes[off + i]!
        if (c >= 0x61 && c <= 0x7a) c -= 0x20
        if (c !== words[start + i]) break
      }
      if (i === len) return slotType[slot]!
    }
    slot = (slot + 1) & MASK
  }
}
