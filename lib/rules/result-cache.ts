/**
 * The prefilter's results remembered across requests (./scan.ts). Browsers send the same
 * User-Agent, Accept and cookies on every request, and an RE2.Set's verdict on the same values
 * is the same: a **piece** is the values of one part (one collection, or some keys of it) as one
 * string, and it remembers, per set that scanned it, which of the set's patterns the values
 * (raw, and through the set's chains) may match. A request whose query changes still finds its
 * headers and cookies here, and only its changed parts are scanned.
 *
 * Bounded: the bytes of every piece (key, entry, verdicts) are counted as V8 lays them out
 * (see pieceBytes), and the oldest pieces are dropped once the total passes the limit. The
 * order is the order of use, refreshed for a piece used again once it is in the older half, so
 * eviction depends only on the sequence of requests (deterministic, no clock, no randomness).
 * The order is a list through the pieces themselves, not the map's: moving a map entry to its
 * end (delete, then set) makes V8 rebuild the map's table every few moves, and a long-lived
 * map's new table outlives the young generation, so a few hot pieces refreshed on every request
 * filled the old generation with dead tables (hello world with the default rules: some 300 bytes
 * a request, a major collection every few seconds).
 */

import { DetectionMemo } from './detection-memo.js'
import { FormMemo } from './form-memo.js'
import type { FormMemoStats } from './form-memo.js'
import { isByteString, ownCopy } from './own-copy.js'
import type { DetectionMemoStats } from './detection-memo.js'
import type { MemoAccount } from './generations.js'

/** The default limit, in bytes, of one engine's (one worker's) cache. */
export const DEFAULT_RESULT_CACHE_BYTES = 16 * 1024 * 1024

/** A part longer than this (in characters) is scanned every time, not remembered. */
export const MAX_PIECE_CHARS = 4096

/** A verdict of "none of the set's patterns": shared, so it costs no memory of its own. */
export const NOTHING: readonly number[] = Object.freeze([])

/** What the cache holds and did, for the status endpoint and the metrics (with libinjection's remembered verdicts, ./detection-memo.ts, and the form pairs, ./form-memo.ts). */
export interface ResultCacheStats extends DetectionMemoStats, FormMemoStats {
  /** Pieces held. */
  entries: number
  /** Keys seen once, held until seen again (see ResultCache.piece). */
  seenOnce: number
  /** Set verdicts held (a piece has one per set that scanned it). */
  verdicts: number
  /** Bytes held, counted as V8 lays the pieces out. */
  bytes: number
  /** The limit (resultCacheBytes). */
  limit: number
  /** Set verdicts found (an RE2.Set call and the part's transformations saved). */
  hits: number
  /** Set verdicts not found, or parts not remembered (too long): scanned. */
  misses: number
  /** Pieces dropped to stay under the limit. */
  evictions: number
  /** Set calls not made on misses: the parts held none of the set's literal factors (./prefilter-literals.ts). */
  literalSkips: number
}

/*
 * Sizes on 64-bit V8 without pointer compression (Node's default build), from its object
 * layouts: a sequential string is a 16-byte header and its characters (one byte each, two when
 * any is beyond U+00FF) rounded up to 8, and a key joined from values is a 32-byte cons string
 * in front of the flat one it is flattened into when hashed; a Map entry is three slots plus its share of the bucket
 * table, and the table doubles, so up to twice that; a ScanPiece is a header of three slots and
 * nine fields; an array is a 32-byte JSArray and a 16-byte FixedArray of 8-byte slots.
 * test/lib/rules/result-cache.test.ts checks the estimate against the heap.
 */
const STRING_HEADER = 16 + 32
const MAP_ENTRY = 2 * (3 * 8 + 4)
const PIECE_OBJECT = 24 + 9 * 8
const ARRAY_HEADER = 32 + 16
/** A part id's slots in the last pieces (ResultCache.lastPiece): a pointer and a number, 8 bytes each. */
const LAST_SLOT = 16
/** Verdict slots (a set id and its verdict) a piece's array starts with. */
const FIRST_SLOTS = 8

function stringBytes (s: string, wide = !isByteString(s)): number {
  const chars = wide ? 2 * s.length : s.length
  return STRING_HEADER + ((chars + 7) & ~7)
}

/** Keys longer than this are held in the keys seen once by a fingerprint (sightingKey). */
const WHOLE_SIGHTING_CHARS = 1024

/**
 * What the keys seen once hold for a key: the key when short, else its length and its first and
 * last 24 characters. Most long keys change on every request (a form with its token, a body) and
 * are never seen again; holding each whole would mean copying it (own-copy.ts) and hashing the
 * copy, 6-7 µs for a 3.4 KB key. Short keys are held whole: a fingerprint made for every lookup
 * cost a CRS browser GET about 10 µs (its many short new texts), the copy of the few inserted
 * less. Two long keys alike in their fingerprint count as one: at worst a piece is made one
 * sighting early, and a piece itself is keyed by its whole key.
 */
function sightingKey (key: string): string {
  return key.length <= WHOLE_SIGHTING_CHARS ? key : `${key.length}\u0000${key.slice(0, 24)}${key.slice(-24)}`
}

function verdictBytes (found: readonly number[]): number {
  return found.length === 0 ? 0 : ARRAY_HEADER + 8 * found.length
}

/** One part's values as remembered: its key, and its verdict per set. */
export class ScanPiece {
  /** Set id, verdict, set id, verdict …; grown by doubling, so its size is known. */
  slots: Array<number | readonly number[]>
  /** Slots in use. */
  used = 0
  /** Where the next lookup starts: sets look a piece up in the same order on every request. */
  cursor = 0
  /** Whether the piece is in the cache (an evicted piece still serves the phase that holds it). */
  live = true
  /** Its neighbours in the order of use (ResultCache's list; undefined at the ends). */
  older: ScanPiece | undefined = undefined
  younger: ScanPiece | undefined = undefined

  constructor (readonly key: string, public bytes: number, public stamp: number) {
    this.slots = new Array<number | readonly number[]>(FIRST_SLOTS)
  }
}

export class ResultCache implements MemoAccount {
  /** libinjection's verdicts per value, in an eighth of the limit, counted in the cache's bytes. */
  readonly detections: DetectionMemo
  /** Urlencoded form pairs, decoded, in a sixteenth of the limit, counted in the cache's bytes. */
  readonly forms: FormMemo
  private readonly pieces = new Map<string, ScanPiece>()
  /**
   * By part id (./scan-memo.ts): the piece the part's values had last, and how many values made
   * it (see lastPiece). Pieces only, all of them counted; an evicted one is dropped from here.
   */
  private readonly last: Array<ScanPiece | undefined> = []
  private readonly lastCount: number[] = []
  /** Keys seen once (see piece), each with the sighting (transaction) that saw it. */
  private readonly seen = new Map<string, number>()
  private seenBytes = 0
  private held = 0
  private verdicts = 0
  private hits = 0
  private misses = 0
  private evictions = 0
  private skips = 0
  /** Counts pieces made or refreshed: a piece's stamp says how recently it was used. */
  private clock = 0
  /** The ends of the order of use: eviction starts at the oldest. */
  private oldest: ScanPiece | undefined = undefined
  private youngest: ScanPiece | undefined = undefined

  /** `limit`: bytes (0 or more; resultCacheBytes, validated by the caller). */
  constructor (readonly limit: number) {
    this.detections = new DetectionMemo(limit >> 3, this)
    this.forms = new FormMemo(limit >> 4, this)
  }

  /**
   * The piece of a part's values, or undefined the first time they are seen: values that vary
   * from request to request (a query's id, a path) would fill the cache with pieces never used
   * again, so a piece is made on the second sighting. `sighting` names the looker (the scan
   * gives one per transaction): a key looked up again by the same sighting is still seen once,
   * so a value that changes on every request, read by two phases or two parts of each, never
   * gets a piece. The keys seen once are held (and counted) up to an eighth of the limit, then
   * forgotten all at once.
   */
  piece (key: string, sighting?: number): ScanPiece | undefined {
    const pieces = this.pieces
    let p = pieces.get(key)
    if (p !== undefined) {
      this.reuse(p)
      return p
    }
    // Keys are held as copies of their own (own-copy.ts): a value sliced from a body must not keep it.
    const sight = sightingKey(key)
    const saw = this.seen.get(sight)
    if (saw === undefined) {
      const wide = !isByteString(sight)
      const bytes = stringBytes(sight, wide) + MAP_ENTRY
      if (this.seenBytes + bytes > this.limit >> 3) {
        this.held -= this.seenBytes
        this.seen.clear()
        this.seenBytes = 0
      }
      if (bytes <= this.limit >> 3) {
        this.seen.set(ownCopy(sight, !wide), sighting ?? -1)
        this.seenBytes += bytes
        this.held += bytes
      }
      return undefined
    }
    if (sighting !== undefined && saw === sighting) return undefined
    this.seen.delete(sight)
    const wide = !isByteString(key)
    // A short key is its own sighting key: its width is known.
    const sightBytes = (sight === key ? stringBytes(sight, wide) : stringBytes(sight)) + MAP_ENTRY
    this.held -= sightBytes
    this.seenBytes -= sightBytes
    const own = ownCopy(key, !wide)
    p = new ScanPiece(own, stringBytes(key, wide) + MAP_ENTRY + PIECE_OBJECT + ARRAY_HEADER + 8 * FIRST_SLOTS, this.clock++)
    pieces.set(own, p)
    this.append(p)
    this.grow(p.bytes)
    return p
  }

  /**
   * The piece part `part` had last (setLast), while the cache holds it, and how many values it
   * was joined from: a browser sends the same headers and cookies on every request, and
   * comparing its values with the key (scan-memo.ts) costs less than joining, flattening and
   * hashing them again. A piece found so is used again (reuse) as piece() would.
   */
  lastPiece (part: number): ScanPiece | undefined {
    const p = this.last[part]
    if (p === undefined || p.live) return p
    this.last[part] = undefined
    return undefined
  }

  lastCountOf (part: number): number {
    return this.lastCount[part]
  }

  /** Part `part`'s values, `count` of them with none holding its separator, joined make the key of `p`. */
  setLast (part: number, p: ScanPiece, count: number): void {
    // Two slots a part id, counted as the array grows (part ids are few: one per collection, keys and separator the rule sets read).
    if (part >= this.last.length) this.held += LAST_SLOT * (part + 1 - this.last.length)
    this.last[part] = p
    this.lastCount[part] = count
  }

  /**
   * A piece found (by piece or lastPiece) is used again: once in the older half, it moves to the
   * young end, so eviction finds it last.
   */
  reuse (p: ScanPiece): void {
    if (this.clock - p.stamp > this.pieces.size >> 1) {
      this.unlink(p)
      this.append(p)
      p.stamp = this.clock++
    }
  }

  /** The set's verdict on the piece (its pattern indexes that may match), or undefined. */
  verdict (p: ScanPiece, setId: number): readonly number[] | undefined {
    const slots = p.slots
    const used = p.used
    let i = p.cursor
    if (i >= used || slots[i] !== setId) {
      for (i = 0; i < used && slots[i] !== setId; i += 2);
    }
    if (i < used) {
      p.cursor = i + 2
      this.hits++
      return slots[i + 1] as readonly number[]
    }
    this.misses++
    return undefined
  }

  /** A scan the cache could not serve: a part too long (or otherwise not remembered). */
  missed (): void {
    this.misses++
  }

  /** A set not called: the parts it missed hold none of its literal factors. */
  skipped (): void {
    this.skips++
  }

  /** Remembers the set's verdict on the piece. */
  remember (p: ScanPiece, setId: number, found: readonly number[]): void {
    let added = verdictBytes(found)
    if (p.used === p.slots.length) {
      const more = new Array<number | readonly number[]>(p.slots.length * 2)
      for (let i = 0; i < p.used; i++) more[i] = p.slots[i]
      added += 8 * p.slots.length
      p.slots = more
    }
    p.slots[p.used++] = setId
    p.slots[p.used++] = found
    if (!p.live) return
    p.bytes += added
    this.verdicts++
    this.grow(added)
  }

  stats (): ResultCacheStats {
    return { entries: this.pieces.size, seenOnce: this.seen.size, verdicts: this.verdicts, bytes: this.held, limit: this.limit, hits: this.hits, misses: this.misses, evictions: this.evictions, literalSkips: this.skips, ...this.detections.stats(), ...this.forms.stats() }
  }

  /** Bytes the memos (detections, form pairs) hold more (pieces are evicted past the limit) or no longer. */
  hold (bytes: number): void {
    this.grow(bytes)
  }

  release (bytes: number): void {
    this.held -= bytes
  }

  /** Puts a piece at the young end of the order of use. */
  private append (p: ScanPiece): void {
    p.older = this.youngest
    p.younger = undefined
    if (this.youngest === undefined) this.oldest = p
    else this.youngest.younger = p
    this.youngest = p
  }

  /** Takes a piece out of the order of use. */
  private unlink (p: ScanPiece): void {
    if (p.older === undefined) this.oldest = p.younger
    else p.older.younger = p.younger
    if (p.younger === undefined) this.youngest = p.older
    else p.younger.older = p.older
    p.older = undefined
    p.younger = undefined
  }

  private grow (bytes: number): void {
    this.held += bytes
    if (this.held <= this.limit) return
    while (this.held > this.limit) {
      const p = this.oldest
      if (p === undefined) break
      this.unlink(p)
      this.pieces.delete(p.key)
      p.live = false
      this.held -= p.bytes
      this.verdicts -= p.used >> 1
      this.evictions++
    }
    // An evicted piece is not kept alive as a part's last one.
    const last = this.last
    for (let i = 0; i < last.length; i++) if (last[i]?.live === false) last[i] = undefined
  }
}

/** Checks a resultCacheBytes option: a whole number of bytes, 0 (off) or more. */
export function validateResultCacheBytes (v: unknown, owner: string): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2 ** 40)) {
    throw new TypeError(`${owner}: option "resultCacheBytes" must be a whole number of bytes from 0 (off) to 2^40; got ${JSON.stringify(v)}`)
  }
}

/** The cache of an engine: undefined when the option is 0. */
export function resultCacheOf (bytes: number | undefined): ResultCache | undefined {
  const limit = bytes ?? DEFAULT_RESULT_CACHE_BYTES
  return limit === 0 ? undefined : new ResultCache(limit)
}
