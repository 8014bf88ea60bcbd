import type { TextPart } from './exec.js'
import { MAX_PIECE_CHARS } from './result-cache.js'
import type { ResultCache, ScanPiece } from './result-cache.js'
import type { VarEntry } from './variables.js'

/**
 * What the prefilter's scans (./scan.ts) keep of a transaction's parts from one phase to the
 * next, with a result cache: each part's values as one text (its key in the cache), its piece,
 * its values' pieces, and its values through the chains that changed them. Phase 2 reads most
 * of the parts phase 1 read (the CRS: the arguments, cookies, headers, path), so it finds them
 * here instead of joining, hashing and looking them up again; and the cache sees each key once
 * per transaction (its sightings are counted per transaction, ResultCache.piece).
 */

/** A part without values: nothing to scan. */
export const NO_VALUES = 0
/** A part that is not remembered (too long, a value holds the separator, or seen for the first time): scanned. */
export const UNREMEMBERED = 1
/** A part of several values whose whole is not remembered: its verdicts are remembered value by value. */
export const BY_VALUE = 2
export type PartPiece = ScanPiece | typeof NO_VALUES | typeof UNREMEMBERED | typeof BY_VALUE
export type ValuePiece = ScanPiece | typeof UNREMEMBERED

/** Process-wide ids of parts (a collection, its keys, a separator), the same in every phase and rule set. */
const partIds = new Map<string, number>()

/** The id of a part: equal parts of any phase get the same. */
export function partId (key: string): number {
  let id = partIds.get(key)
  if (id === undefined) partIds.set(key, id = partIds.size)
  return id
}

let nextSighting = 0

/** One transaction's parts, by part id. */
export class TxScanMemo {
  /** The transaction's sighting of the result cache's keys. */
  readonly sighting = nextSighting++
  readonly parts: Array<PartValues | undefined> = []
}

const NO_ENTRIES: readonly VarEntry[] = Object.freeze([])

/** One part's values in one transaction, as the result cache sees them. */
export class PartValues {
  /** The trigger bits of every value together (./chain.ts), on first use (-1). */
  mask = -1
  /** Chain ids and the part's values each changed, each after the separator ('' when none), on first use. */
  private chainIds: number[] | undefined = undefined
  private chainTexts: string[] | undefined = undefined

  constructor (
    /** The collection's entries it was made from: a collection rebuilt (the body arrived) makes it stale. */
    readonly entries: readonly VarEntry[],
    /** The part's values (the entries it selects). */
    readonly values: readonly VarEntry[],
    /** The values joined with the separator. */
    readonly text: string,
    readonly piece: PartPiece,
    /** BY_VALUE: each value's piece. */
    readonly valuePieces: readonly ValuePiece[] | undefined,
    /** BY_VALUE: the whole's piece when the cache just made it (it gets the union of its values' verdicts). */
    readonly whole: ScanPiece | undefined
  ) {}

  /** The values a chain changed, or undefined when not computed yet. */
  changed (chainId: number): string | undefined {
    const ids = this.chainIds
    if (ids === undefined) return undefined
    for (let i = 0; i < ids.length; i++) if (ids[i] === chainId) return (this.chainTexts as string[])[i]
    return undefined
  }

  keepChanged (chainId: number, text: string): void {
    // NO_VALUES_PART is shared by every transaction: nothing is kept on it (nothing to change either).
    if (this.values.length === 0) return
    if (this.chainIds === undefined) {
      this.chainIds = [chainId]
      this.chainTexts = [text]
      return
    }
    this.chainIds.push(chainId)
    ;(this.chainTexts as string[]).push(text)
  }
}

/**
 * Every part without values, in every transaction: a clean GET has several (no arguments, no
 * cookies), and a PartValues is 96 bytes. Its `entries` are nobody's, so TxScanMemo never takes
 * it for a collection's (./scan.ts valuesOf asks again, and gets it again without allocating).
 */
export const NO_VALUES_PART = new PartValues(NO_ENTRIES, NO_ENTRIES, '', NO_VALUES, undefined, undefined)

/**
 * A part's values in a transaction, and its piece: a part of several values that the cache
 * cannot serve whole (seen for the first time, too long, or a value holds the separator) is
 * remembered value by value instead (BY_VALUE).
 */
export function partValues (part: TextPart, entries: readonly VarEntry[], cache: ResultCache, sighting: number): PartValues {
  const keys = part.keys
  const sep = part.separator
  const values = keys === undefined ? entries : selected(entries, keys)
  const count = values.length
  if (count === 0) return NO_VALUES_PART
  // The part's last piece, when its values are the same (most headers and cookies, request after request).
  const last = count === 0 ? undefined : cache.lastPiece(part.id)
  if (last !== undefined && (last.used > 0 || count < 2) && cache.lastCountOf(part.id) === count && joinedIs(last.key, values, sep)) {
    cache.reuse(last)
    return new PartValues(entries, values, last.key, last, undefined, undefined)
  }
  let text = ''
  let clean = true
  for (let k = 0; k < values.length; k++) {
    const v = values[k].value
    text = k === 0 ? v : text + sep + v
    if (clean && v.indexOf(sep) !== -1) clean = false
  }
  const whole = clean && text.length <= MAX_PIECE_CHARS ? cache.piece(text, sighting) : undefined
  if (whole !== undefined) cache.setLast(part.id, whole, count)
  // A piece with verdicts serves the part; a new one gets them from its values.
  if (whole !== undefined && (whole.used > 0 || count < 2)) return new PartValues(entries, values, text, whole, undefined, undefined)
  if (count < 2) return new PartValues(entries, values, text, UNREMEMBERED, undefined, undefined)
  const pieces: ValuePiece[] = []
  for (let k = 0; k < count; k++) {
    const v = values[k].value
    pieces.push(v.length > MAX_PIECE_CHARS || v.indexOf(sep) !== -1 ? UNREMEMBERED : cache.piece(v, sighting) ?? UNREMEMBERED)
  }
  return new PartValues(entries, values, text, BY_VALUE, pieces, whole)
}

/**
 * The entries whose keys a part selects, in their order: the entries themselves when it selects
 * all, no new array when it selects none, a literal of one for the one header most keyed parts
 * find (a `push` from empty reserves 17 slots, 152 bytes). The arrays stay packed: `new
 * Array(n)` would be holey, and the scan's reads of the values would see two elements kinds
 * (crs-ab PL1 browser GET 94.3 -> 100.0 us median with the header entries made that way).
 */
function selected (entries: readonly VarEntry[], keys: ReadonlySet<string>): readonly VarEntry[] {
  let n = 0
  let first = -1
  for (let k = 0; k < entries.length; k++) {
    if (!keys.has(entries[k].lkey)) continue
    if (n++ === 0) first = k
  }
  if (n === entries.length) return entries
  if (n === 0) return NO_ENTRIES
  if (n === 1) return [entries[first]]
  const some: VarEntry[] = []
  for (let k = first; k < entries.length; k++) if (keys.has(entries[k].lkey)) some.push(entries[k])
  return some
}

/**
 * Whether `key` is the values joined with the one-character separator. With as many values as
 * the key was made from (clean, so it holds that many less one separators), equal means none of
 * these values holds the separator either: the key's piece is theirs. Each stretch is compared
 * by `===` on a slice of the key (a view, compared in place): `startsWith(v, at)` walked the
 * characters one by one, about 5 ns each on Node 20 against 0.2 for `===` on a 489-character
 * header, and a browser GET's parts compare about 2,000 characters per request.
 */
function joinedIs (key: string, values: readonly VarEntry[], sep: string): boolean {
  if (values.length === 1) return key === values[0].value
  let length = values.length - 1
  for (let k = 0; k < values.length; k++) length += values[k].value.length
  if (length !== key.length) return false
  const code = sep.charCodeAt(0)
  let at = 0
  for (let k = 0; k < values.length; k++) {
    const v = values[k].value
    if (k > 0 && key.charCodeAt(at++) !== code) return false
    if (key.slice(at, at + v.length) !== v) return false
    at += v.length
  }
  return true
}
