import { detectSQLiInByteString, detectXSSInByteString } from './libinjection/index.js'
import { ownCopy } from './own-copy.js'

/**
 * libinjection's verdicts remembered per value, across requests (`@detectSQLi`, `@detectXSS`).
 * Both are pure functions of the value's bytes and cannot be prefiltered, so CRS 942100 and
 * 941100 run them on every argument at every transformation stage; a form sends the same
 * fields on every request, a browser the same cookies. Part of the result cache
 * (./result-cache.ts): on with it, off with it, its bytes counted in the cache's and bounded by
 * a share of its limit.
 *
 * Each detector's verdicts live in two generations: lookups read the young one, then the old
 * one (a value found there is copied to the young one); once the young one's bytes pass half
 * the memo's share, the old one is dropped whole and the young one becomes the old. So a value
 * in use survives, the bytes stay under the share, and what is held depends only on the
 * sequence of values (no clock, no randomness).
 */

/** Where the memo's bytes are counted (the result cache: its total, and its limit). */
export interface MemoAccount {
  hold(bytes: number): void
  release(bytes: number): void
}

/** What the memo holds and did, for the result cache's stats. */
export interface DetectionMemoStats {
  /** Verdicts held (both detectors, both generations). */
  detections: number
  /** Verdicts served from the memo (a detector call saved). */
  detectionHits: number
  /** Verdicts computed (and remembered, when the value qualifies). */
  detectionMisses: number
}

/** A value longer than this (in characters), or holding a character beyond U+00FF, is never remembered. */
export const MAX_MEMO_CHARS = 4096

/*
 * Sizes on 64-bit V8 without pointer compression (Node's default build): a key is a sequential
 * one-byte string made by the memo (a header of 16 bytes and its characters rounded up to 8),
 * never a slice of the request's body; a Map entry is three slots and its share of the bucket
 * table, which doubles, so up to twice that; a fingerprint is a short sequential string, and
 * null or a boolean take no room of their own.
 */
const KEY_HEADER = 16
const ENTRY = 2 * (3 * 8 + 4)
const FINGERPRINT = 24

function keyBytes (value: string): number {
  return KEY_HEADER + ((value.length + 7) & ~7)
}

/** Whether a value may be remembered: short enough, and a byte string (its copy is then exact). */
function rememberable (value: string): boolean {
  if (value.length > MAX_MEMO_CHARS) return false
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) return false
  return true
}

/** One detector's verdicts in two generations (see above). */
class Generations<V> {
  private young = new Map<string, V>()
  private old = new Map<string, V>()
  private youngBytes = 0
  private oldBytes = 0

  constructor (private readonly half: number, private readonly account: MemoAccount, private readonly extra: (v: V) => number) {}

  get size (): number {
    return this.young.size + this.old.size
  }

  /** The verdict remembered for the value, or undefined. */
  get (value: string): V | undefined {
    const v = this.young.get(value)
    if (v !== undefined || this.old.size === 0) return v
    const o = this.old.get(value)
    if (o !== undefined) this.put(value, o)
    return o
  }

  put (value: string, v: V): void {
    const bytes = keyBytes(value) + ENTRY + this.extra(v)
    if (bytes > this.half) return
    if (this.youngBytes + bytes > this.half) {
      this.account.release(this.oldBytes)
      this.old = this.young
      this.oldBytes = this.youngBytes
      this.young = new Map()
      this.youngBytes = 0
    }
    this.young.set(ownCopy(value, true), v)
    this.youngBytes += bytes
    this.account.hold(bytes)
  }
}

export class DetectionMemo {
  private readonly sqliVerdicts: Generations<string | null>
  private readonly xssVerdicts: Generations<boolean>
  private hits = 0
  private misses = 0

  /** `share`: the bytes the memo may hold, both detectors together (0: remembers nothing). */
  constructor (share: number, account: MemoAccount) {
    // Each detector gets half the share; each generation half of that.
    const half = Math.floor(share / 4)
    this.sqliVerdicts = new Generations<string | null>(half, account, v => v === null ? 0 : FINGERPRINT)
    this.xssVerdicts = new Generations<boolean>(half, account, () => 0)
  }

  /** libinjection's SQLi fingerprint of a byte string (detectSQLiInByteString), remembered. */
  sqli (value: string): string | null {
    return this.verdict(this.sqliVerdicts, value, detectSQLiInByteString)
  }

  /** libinjection's XSS verdict on a byte string (detectXSSInByteString), remembered. */
  xss (value: string): boolean {
    return this.verdict(this.xssVerdicts, value, detectXSSInByteString)
  }

  private verdict<V> (known: Generations<V>, value: string, detect: (value: string) => V): V {
    const v = known.get(value)
    if (v !== undefined) {
      this.hits++
      return v
    }
    this.misses++
    const found = detect(value)
    if (rememberable(value)) known.put(value, found)
    return found
  }

  stats (): DetectionMemoStats {
    return { detections: this.sqliVerdicts.size + this.xssVerdicts.size, detectionHits: this.hits, detectionMisses: this.misses }
  }
}
