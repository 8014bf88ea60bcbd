import { byteStringBytes, Generations } from './generations.js'
import type { MemoAccount } from './generations.js'
import { percentDecode } from './input.js'
import { isByteString, ownCopy } from './own-copy.js'
import type { Pair } from './input.js'
import { charMask, maskVersion } from './chain.js'
import { entryMask, VarEntry } from './variables.js'
import { urlDecodeUni } from './transformations/url-decode-uni.js'

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
 * A remembered pair: its record (a header of three slots and five fields), its entry (a
 * VarEntry of three strings, key and lkey the same, and four fields: a header of three slots
 * and seven fields), its key's and value's flat strings. Its text is the map's key, counted by
 * ./generations.ts.
 */
const RECORD_OBJECT = 24 + 5 * 8
const ENTRY_OBJECT = 24 + 7 * 8
/** The list of the last form's pairs: an array's header and backing store's, and a slot a pair. */
const LIST_BYTES = 32 + 16
const SLOT = 8

/**
 * A pair remembered: its text as received (the map's key), its decoded entry (a template), its
 * text through urlDecodeUni (the text itself when that leaves it as it was), and the trigger
 * bits of its text.
 */
class RememberedPair {
  constructor (readonly raw: string, readonly entry: VarEntry, readonly uni: string, public rawMask: number, public rawMaskOf: number) {}
}

/** One `&`-separated piece of a form, for formUrlDecodeUni: a remembered pair, or the piece's text (not remembered, or empty). */
export type FormPiece = RememberedPair | string

function pairBytes (r: RememberedPair): number {
  const uni = r.uni === r.raw ? 0 : byteStringBytes(r.uni.length)
  return RECORD_OBJECT + ENTRY_OBJECT + byteStringBytes(r.entry.key.length) + byteStringBytes(r.entry.value.length) + uni
}

/**
 * urlDecodeUni of the whole form from its pieces: no escape spans a `&` (`&` is no hex digit
 * and no `u`, and urlDecodeUni keeps an invalid or cut escape as it is, as it does at the end
 * of a piece), and `+` is one character, so the body's decoding is its pieces' joined with `&`
 * (test/lib/rules/form-memo.test.ts compares them over thousands of forms). A remembered pair
 * brings its decoding along; the others are decoded here.
 */
export function formUrlDecodeUni (pieces: readonly FormPiece[]): string {
  const out: string[] = new Array<string>(pieces.length)
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]
    out[i] = typeof p === 'string' ? urlDecodeUni(p) : p.uni
  }
  return out.join('&')
}

export class FormMemo {
  private readonly pairs: Generations<RememberedPair>
  /**
   * The last form's pairs, by place (undefined where one was not remembered), while no
   * generation was dropped since (lastDrops): a form sends the same pairs in the same order, so
   * each pair's text is first compared in place with the pair at its place in the last form, a
   * comparison of the body's characters instead of a slice hashed for a map lookup (the 4 KB
   * form's 47 pairs in a loop: 8.6 → 2.5 µs).
   */
  private last: ReadonlyArray<RememberedPair | undefined> = []
  private lastDrops = -1
  private lastBytes = 0
  private readonly lastMost: number
  private hits = 0
  private misses = 0

  /** `share`: the bytes the memo may hold (0: remembers nothing). */
  constructor (share: number, private readonly account: MemoAccount) {
    // An eighth of the share for the last form's list, the rest for the two generations.
    this.lastMost = share >> 3
    this.pairs = new Generations<RememberedPair>(Math.floor((share - this.lastMost) / 2), account, pairBytes, r => r.raw)
  }

  /**
   * Splits `a=1&b=2` into decoded entries, as parsePairs (./input.ts) into pairs: the same keys
   * and values in the same order (test/lib/rules/form-memo.test.ts compares them). Returns the
   * trigger bits of the whole text (./chain.ts), as charMask would give them, when every pair
   * was remembered with them (the bits of a text are those of its pieces and of its `&`s
   * together), else -1: REQUEST_BODY of a form then needs no pass over its characters.
   * `pieces`, when given, gets the form's pieces between `&`s, empty ones too, for
   * formUrlDecodeUni.
   */
  parse (text: string, out: Pair[], pieces?: FormPiece[]): number {
    if (text.length === 0) return 0
    const version = maskVersion()
    const drops = this.pairs.drops
    const last = this.lastDrops === drops ? this.last : []
    const seen: Array<RememberedPair | undefined> = []
    let mask = text.indexOf('&') === -1 ? 0 : charMask('&')
    let start = 0
    while (start <= text.length) {
      let end = text.indexOf('&', start)
      if (end === -1) end = text.length
      if (end === start) pieces?.push('')
      else {
        const before = last[seen.length]
        let r: RememberedPair | VarEntry
        if (before !== undefined && before.raw.length === end - start && text.slice(start, end) === before.raw) {
          this.hits++
          r = before
        } else r = this.pair(text.slice(start, end))
        if (r instanceof VarEntry) {
          seen.push(undefined)
          out.push(r)
          pieces?.push(text.slice(start, end))
          mask = -1
        } else {
          seen.push(r)
          pieces?.push(r)
          out.push(r.entry)
          if (r.rawMaskOf !== version) {
            r.rawMask = charMask(r.raw)
            r.rawMaskOf = version
          }
          if (mask !== -1) mask |= r.rawMask
        }
      }
      start = end + 1
    }
    this.keepLast(this.pairs.drops === drops && seen.some(r => r !== undefined) ? seen : [])
    return mask
  }

  /** The pairs of this form for the next one (none when a generation was dropped meanwhile: some may be held nowhere else; none past the list's share). */
  private keepLast (seen: Array<RememberedPair | undefined>): void {
    let bytes = seen.length === 0 ? 0 : LIST_BYTES + SLOT * seen.length
    if (bytes > this.lastMost) {
      seen = []
      bytes = 0
    }
    this.account.release(this.lastBytes)
    this.account.hold(bytes)
    this.last = seen
    this.lastBytes = bytes
    this.lastDrops = this.pairs.drops
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
    const own = ownCopy(raw, true)
    const uni = urlDecodeUni(own)
    const r = new RememberedPair(own, e, uni === own ? own : ownCopy(uni, true), charMask(raw), maskVersion())
    // Not held (a share too small for it): decoded, as the pairs never remembered.
    return this.pairs.put(r.raw, r) ? r : e
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
