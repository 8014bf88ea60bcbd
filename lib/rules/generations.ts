import { ownCopy } from './own-copy.js'

/**
 * Values remembered across requests in two generations, for the memos of the result cache
 * (./detection-memo.ts, ./form-memo.ts): lookups read the young one, then the old one (a value
 * found there is copied to the young one); once the young one's bytes pass `half`, the old one
 * is dropped whole and the young one becomes the old. So a value in use survives, the bytes
 * stay under twice `half`, and what is held depends only on the sequence of keys (no clock, no
 * randomness). Keys must be byte strings (U+0000 to U+00FF): they are held as flat copies of
 * their own (./own-copy.ts), never as slices of a request's body.
 */

/** Where a memo's bytes are counted (the result cache: its total, and its limit). */
export interface MemoAccount {
  hold(bytes: number): void
  release(bytes: number): void
}

/*
 * Sizes on 64-bit V8 without pointer compression (Node's default build): a key is a sequential
 * one-byte string (a header of 16 bytes and its characters rounded up to 8); a Map entry is
 * three slots and its share of the bucket table, which doubles, so up to twice that.
 */
const KEY_HEADER = 16
const ENTRY = 2 * (3 * 8 + 4)

/** The bytes of a sequential one-byte string of this many characters. */
export function byteStringBytes (length: number): number {
  return KEY_HEADER + ((length + 7) & ~7)
}

export class Generations<V> {
  private young = new Map<string, V>()
  private old = new Map<string, V>()
  private youngBytes = 0
  private oldBytes = 0
  private dropped = 0

  /**
   * `extra`: the bytes of a value beyond its key and map entry. `keyOf`: for values that carry
   * a flat copy of their own key (./form-memo.ts), that copy, so that the key is held once.
   */
  constructor (private readonly half: number, private readonly account: MemoAccount, private readonly extra: (v: V) => number,
    private readonly keyOf?: (v: V) => string) {}

  get size (): number {
    return this.young.size + this.old.size
  }

  /** How many times the old generation was dropped: a value got from here is still held (and counted) while this has not changed. */
  get drops (): number {
    return this.dropped
  }

  /** The value remembered for the key, or undefined. */
  get (key: string): V | undefined {
    const v = this.young.get(key)
    if (v !== undefined || this.old.size === 0) return v
    const o = this.old.get(key)
    if (o !== undefined) this.put(key, o)
    return o
  }

  /** Remembers a value for a byte-string key (nothing when it alone would pass `half`); whether it did. */
  put (key: string, v: V): boolean {
    const bytes = byteStringBytes(key.length) + ENTRY + this.extra(v)
    if (bytes > this.half) return false
    if (this.youngBytes + bytes > this.half) {
      this.account.release(this.oldBytes)
      this.dropped++
      this.old = this.young
      this.oldBytes = this.youngBytes
      this.young = new Map()
      this.youngBytes = 0
    }
    this.young.set(this.keyOf !== undefined ? this.keyOf(v) : ownCopy(key, true), v)
    this.youngBytes += bytes
    this.account.hold(bytes)
    return true
  }
}
