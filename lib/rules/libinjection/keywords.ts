import { SQL_KEYWORDS } from './data.js'

/**
 * libinjection's keyword lookup (bsearch_keyword_type over sql_keywords) as an open-addressing
 * hash table over bytes, so a lookup allocates nothing. A word matches when its bytes, a-z
 * upper-cased, equal a table entry: the same answer as libinjection's case-folding binary search
 * (entries are upper-case ASCII, so a NUL or a byte >= 0x80 never matches).
 */
/** The filter bit of an upper-cased first byte: A-Z their own, every other byte bit 31. */
function firstBit (c: number): number {
  return c >= 0x41 && c <= 0x5a ? 1 << (c - 0x41) : 1 << 31
}

class WordTable {
  private readonly mask: number
  private readonly slotStart: Int32Array
  private readonly slotLength: Uint8Array
  private readonly slotType: Uint8Array
  private readonly words: Uint8Array
  /** Per length, a bit per first byte (A-Z, bit 31 for any other): most words miss here, before the hash. */
  private readonly firstByLength = new Uint32Array(32)

  constructor (entries: ReadonlyArray<readonly [string, number]>) {
    let size = 1024
    while (size < entries.length * 3) size <<= 1
    this.mask = size - 1
    this.slotStart = new Int32Array(size).fill(-1)
    this.slotLength = new Uint8Array(size)
    this.slotType = new Uint8Array(size)
    this.words = new Uint8Array(entries.reduce((n, [w]) => n + w.length, 0))
    let at = 0
    for (const [word, type] of entries) {
      if (word.length < 32) this.firstByLength[word.length]! |= firstBit(word.charCodeAt(0))
      for (let i = 0; i < word.length; i++) this.words[at + i] = word.charCodeAt(i)
      let slot = this.hashOf(this.words, at, word.length)
      while (this.slotStart[slot] !== -1) slot = (slot + 1) & this.mask
      this.slotStart[slot] = at
      this.slotLength[slot] = word.length
      this.slotType[slot] = type
      at += word.length
    }
  }

  private hashOf (bytes: Uint8Array, off: number, len: number): number {
    let h = 0x811c9dc5
    for (let i = 0; i < len; i++) {
      let c = bytes[off + i]!
      if (c >= 0x61 && c <= 0x7a) c -= 0x20
      h = Math.imul(h ^ c, 0x01000193)
    }
    return (h ^ (h >>> 15)) & this.mask
  }

  /** The type of the word `bytes[off, off + len)`, or 0. */
  lookup (bytes: Uint8Array, off: number, len: number): number {
    if (len === 0 || len > 31) return 0
    let c0 = bytes[off]!
    if (c0 >= 0x61 && c0 <= 0x7a) c0 -= 0x20
    if ((this.firstByLength[len]! & firstBit(c0)) === 0) return 0
    let slot = this.hashOf(bytes, off, len)
    for (;;) {
      const start = this.slotStart[slot]!
      if (start === -1) return 0
      if (this.slotLength[slot] === len) {
        let i = 0
        for (; i < len; i++) {
          let c = bytes[off + i]!
          if (c >= 0x61 && c <= 0x7a) c -= 0x20
          if (c !== this.words[start + i]) break
        }
        if (i === len) return this.slotType[slot]!
      }
      slot = (slot + 1) & this.mask
    }
  }
}

const entries: Array<[string, number]> = SQL_KEYWORDS.split('\n').filter(line => line.length > 0).map(line => {
  const tab = line.indexOf('\t')
  return [line.slice(0, tab), line.charCodeAt(tab + 1)]
})
const KEYWORDS = new WordTable(entries)

// Every "A" such that "A B..." is a keyword: only such a word can start a merge of two tokens.
const prefixes = new Set<string>()
for (const [word] of entries) for (let i = word.indexOf(' '); i !== -1; i = word.indexOf(' ', i + 1)) prefixes.add(word.slice(0, i))
const PHRASE_PREFIXES = new WordTable([...prefixes].map(p => [p, 1]))

/** The token type (a character code) of the word `bytes[off, off + len)`, or 0 when it is none. */
export function keywordType (bytes: Uint8Array, off: number, len: number): number {
  return KEYWORDS.lookup(bytes, off, len)
}

/** Whether the word followed by a space begins some keyword ("UNION" for "UNION ALL"). */
export function startsPhrase (bytes: Uint8Array, off: number, len: number): boolean {
  return PHRASE_PREFIXES.lookup(bytes, off, len) !== 0
}
