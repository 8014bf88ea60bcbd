import { byteStringBytes, Generations } from './generations.js'
import type { MemoAccount } from './generations.js'
import { percentDecode } from './input.js'
import { isByteString, ownCopy } from './own-copy.js'
import type { Pair } from './input.js'
import { charMask, maskVersion } from './chain.js'
import { entryMask, VarEntry } from './variables.js'

/**
 * The pairs of urlencoded forms remembered across requests (ARGS_POST). A form sends the same
 * fields on every request, most with the same values (only a token or an id changes), and a
 * pair's decoded key and value are a pure function of its text between two `&`. So the text
 * `name=value` is looked up, and a pair seen before comes back decoded, its value's trigger
 * bits (./chain.ts) computed once: no percent-decoding, and the same key and value strings on
 * every request, whose hashes V8 keeps (the result cache and the detection memo then look them
 * up without hashing them again). Each request still gets entries of its own (their
 * transformation caches stay per request).
 *
 * Part of the result cache (./result-cache.ts): on with it, its bytes counted in the cache's
 * and bounded by a share of its limit, in two generations (./generations.ts). Pairs longer than
 * MAX_PAIR_CHARS, or holding text beyond U+00FF, are decoded every time and never remembered.
 */

/** What the memo holds and did, for the result cache's stats. */
export interface FormMemoStats {
  /** Form pairs held (both generations). */
  formPairs: number
  /** Pairs served from the memo (decoding saved). */
  formPairHits: number
  /** Pairs decoded (and remembered, when they qualify). */
  formPairMisses: number
}

/** A pair's text longer than this (in characters) is decoded every time. */
export const MAX_PAIR_CHARS = 4096

/*
 * A remembered pair: its record (a header of three slots and three fields), its entry (a
 * VarEntry of three strings, key and lkey the same, and four fields: a header of three slots
 * and seven fields), its key's and value's flat strings.
 */
const RECORD_OBJECT = 24 + 3 * 8
const ENTRY_OBJECT = 24 + 7 * 8

/** A pair remembered: its decoded entry (a template), and the trigger bits of its text as received. */
class RememberedPair {
  constructor (readonly entry: VarEntry, public rawMask: number, public rawMaskOf: number) {}
}

function pairBytes (r: RememberedPair): number {
  return RECORD_OBJECT + ENTRY_OBJECT + byteStringBytes(r.entry.key.length) + byteStringBytes(r.entry.value.length)
}

export class FormMemo {
  private readonly pairs: Generations<RememberedPair>
  private hits = 0
  private misses = 0

  /** `share`: the bytes the memo may hold (0: remembers nothing). */
  constructor (share: number, account: MemoAccount) {
    this.pairs = new Generations<RememberedPair>(Math.floor(share / 2), account, pairBytes)
  }

  /**
   * Splits `a=1&b=2` into decoded entries, as parsePairs (./input.ts) into pairs: the same keys
   * and values in the same order (test/lib/rules/form-memo.test.ts compares them). Returns the
   * trigger bits of the whole text (./chain.ts), as charMask would give them, when every pair
   * was remembered with them (the bits of a text are those of its pieces and of its `&`s
   * together), else -1: REQUEST_BODY of a form then needs no pass over its characters.
   */
  parse (text: string, out: Pair[]): number {
    if (text.length === 0) return 0
    const version = maskVersion()
    let mask = text.indexOf('&') === -1 ? 0 : charMask('&')
    let start = 0
    while (start <= text.length) {
      let end = text.indexOf('&', start)
      if (end === -1) end = text.length
      if (end > start) {
        const raw = text.slice(start, end)
        const r = this.pair(raw)
        if (r instanceof VarEntry) {
          out.push(r)
          mask = -1
        } else {
          out.push(r.entry)
          if (r.rawMaskOf !== version) {
            r.rawMask = charMask(raw)
            r.rawMaskOf = version
          }
          if (mask !== -1) mask |= r.rawMask
        }
      }
      start = end + 1
    }
    return mask
  }

  /** One pair, remembered (its entry a template: the caller gives each request an entry of its own), or decoded alone. */
  private pair (raw: string): RememberedPair | VarEntry {
    const known = this.pairs.get(raw)
    if (known !== undefined) {
      this.hits++
      return known
    }
    this.misses++
    const eq = raw.indexOf('=')
    const key = percentDecode(eq === -1 ? raw : raw.slice(0, eq), true)
    const value = eq === -1 ? '' : percentDecode(raw.slice(eq + 1), true)
    if (raw.length > MAX_PAIR_CHARS || !isByteString(raw)) return new VarEntry(key, key, value)
    const ownKey = ownCopy(key, true)
    const e = new VarEntry(ownKey, ownKey, ownCopy(value, true))
    entryMask(e)
    const r = new RememberedPair(e, charMask(raw), maskVersion())
    this.pairs.put(raw, r)
    return r
  }

  stats (): FormMemoStats {
    return { formPairs: this.pairs.size, formPairHits: this.hits, formPairMisses: this.misses }
  }
}

/** An entry of its own for a pair: a remembered one's trigger bits come along, computed once. */
export function entryOf (p: Pair, value: string): VarEntry {
  const e = new VarEntry(p.key, p.key, value)
  if (p instanceof VarEntry && value === p.value) {
    e.mask = entryMask(p)
    e.maskOf = p.maskOf
  }
  return e
}
