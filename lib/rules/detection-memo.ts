import { detectSQLiInByteString, detectXSSInByteString } from './libinjection/index.js'
import { Generations } from './generations.js'
import type { MemoAccount } from './generations.js'
import { isByteString } from './own-copy.js'

/**
 * libinjection's verdicts remembered per value, across requests (`@detectSQLi`, `@detectXSS`).
 * Both are pure functions of the value's bytes and cannot be prefiltered, so CRS 942100 and
 * 941100 run them on every argument at every transformation stage; a form sends the same
 * fields on every request, a browser the same cookies. Part of the result cache
 * (./result-cache.ts): on with it, off with it, its bytes counted in the cache's and bounded by
 * a share of its limit.
 *
 * Each detector's verdicts live in two generations (./generations.ts), each up to a quarter of
 * the memo's share, so a value in use survives, the bytes stay under the share, and what is
 * held depends only on the sequence of values.
 */

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

/** A fingerprint is a short sequential string; null or a boolean take no room of their own. */
const FINGERPRINT = 24

/** Whether a value may be remembered: short enough, and a byte string (its copy is then exact). */
function rememberable (value: string): boolean {
  return value.length <= MAX_MEMO_CHARS && isByteString(value)
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
