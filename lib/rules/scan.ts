import type { RegisteredCollection } from './collections.js'
import type { ExecRule, Lane, PartChain, PhaseTable, RawSource, TextSource } from './exec.js'
import type { PrefilterSet } from './prefilter.js'
import { MAX_PIECE_CHARS, NOTHING, ScanPiece } from './result-cache.js'
import type { ResultCache } from './result-cache.js'
import type { Transaction } from './transaction.js'
import { entryMask, transformed } from './variables.js'
import type { VarEntry } from './variables.js'

interface LaneBytes {
  bytes: Buffer
  starts: number[]
  ends: number[]
}

/** A part without values: nothing to scan. */
const NO_VALUES = 0
/** A part that is not remembered (too long, or a value holds the separator): scanned every time. */
const UNREMEMBERED = 1
/** A part of several values whose whole is not remembered: its verdicts are remembered value by value (scanValues). */
const BY_VALUE = 2
type PartPiece = ScanPiece | typeof NO_VALUES | typeof UNREMEMBERED | typeof BY_VALUE
type ValuePiece = ScanPiece | typeof UNREMEMBERED

/**
 * The prefilter's work in one phase of one transaction: every group scanned on first use, every
 * text it scans built once and shared (see exec.ts for what the pieces are). Owned by the
 * evaluator's runPhase and dropped when the phase ends.
 */
export class PhaseScan {
  /** Hits per group (undefined: not scanned yet). */
  private readonly groupHits: Array<Uint8Array | undefined>
  /** The changed values of each text source. */
  private readonly texts: Array<Buffer | undefined>
  /** The views of each raw source. */
  private readonly rawViews: Array<Buffer[] | undefined>
  private readonly lanes: Array<LaneBytes | undefined>
  /** Each part through a chain. */
  private readonly pairTexts: Array<string | undefined>
  /** collectionMask results, by collection slot. */
  private readonly masks: Array<number | undefined> = []
  /** With a result cache: each part's values as one string (its key), once its lane is laid; null: not remembered. */
  private readonly partKeys: Array<string | null | undefined> = []
  /** With a result cache: each part's values as one string, and lower-cased (for literal factors) on first use. */
  private readonly partTexts: string[] = []
  private readonly lowerTexts: Array<string | undefined> = []
  /** Each part's piece of the result cache, looked up on first use. */
  private readonly pieces: Array<PartPiece | undefined> = []
  /** With a result cache: how many values each part has, once its lane is laid. */
  private readonly partCounts: number[] = []
  /** For a BY_VALUE part: its values (entries), and each value's piece. */
  private readonly valueEntries: Array<VarEntry[] | undefined> = []
  private readonly valuePieces: Array<ValuePiece[] | undefined> = []
  /** For a BY_VALUE part: its whole piece when the cache just made it (to be given its values' verdicts). */
  private readonly wholePieces: Array<ScanPiece | undefined> = []
  private readonly cache: ResultCache | undefined

  constructor (private readonly tx: Transaction, private readonly table: PhaseTable) {
    this.groupHits = sized(table.groups.length)
    this.texts = sized(table.texts.length)
    this.rawViews = sized(table.raws.length)
    this.lanes = sized(table.lanes.length)
    this.pairTexts = sized(table.partChains.length)
    this.cache = tx.resultCache
  }

  /** The prefilter's verdict on a rule or chain link that has a group. */
  canMatch (x: ExecRule): boolean {
    let hits = this.groupHits[x.group]
    if (hits === undefined) hits = this.scanGroup(x.group)
    return hits[x.member] !== 0
  }

  /**
   * Runs a group's sets over its values: the views of its raw source in the lanes, then the
   * values its chains changed. Which members can match at all.
   */
  private scanGroup (index: number): Uint8Array {
    const group = this.table.groups[index]
    const hits = new Uint8Array(group.members)
    this.groupHits[index] = hits
    const src = this.table.texts[group.text]
    if (this.cache !== undefined) {
      this.scanRemembered(group.sets, group.text, src, hits, this.cache)
      return hits
    }
    const views = this.rawViewsOf(src)
    const extra = this.changedOf(group.text, src)
    if (views.length === 0 && extra.length === 0) return hits
    for (const s of group.sets) {
      try {
        // Most values match nothing: test() stops at the first match and builds no list.
        let hit = extra.length > 0 && s.set.test(extra)
        for (let v = 0; v < views.length && !hit; v++) hit = s.set.test(views[v])
        if (!hit) continue
        markFound(s, extra, hits)
        for (let v = 0; v < views.length; v++) markFound(s, views[v], hits)
      } catch {
        // The set's DFA ran out of memory on this input: every member is a candidate and is
        // confirmed by its own operator, so nothing is missed.
        for (const m of s.members) hits[m] = 1
      }
    }
    return hits
  }

  /**
   * scanGroup with a result cache: part by part, each set's verdict is looked up, and only the
   * parts it has no verdict on are scanned (their raw values as few runs of the lane as they
   * make, their changed values as one text), then remembered. Scanning a part alone is as sound
   * as scanning it joined with its neighbours: a pattern that matches a value matches any text
   * of whole values that holds it, so a verdict may over-report and never misses.
   */
  private scanRemembered (sets: readonly PrefilterSet[], textIndex: number, src: TextSource, hits: Uint8Array, cache: ResultCache): void {
    const parts = src.parts
    const pieces = this.pieces
    const laneIndex = this.table.raws[src.raw].lane
    if (this.lanes[laneIndex] === undefined) this.lanes[laneIndex] = this.layLane(this.table.lanes[laneIndex])
    for (let j = 0; j < parts.length; j++) if (pieces[parts[j]] === undefined) pieces[parts[j]] = this.pieceOf(parts[j], cache)
    for (const s of sets) {
      let pending: number[] | undefined
      let byValue: number[] | undefined
      for (let j = 0; j < parts.length; j++) {
        const piece = pieces[parts[j]] as PartPiece
        if (piece === NO_VALUES) continue
        if (piece === BY_VALUE) {
          if (byValue === undefined) byValue = [j]
          else byValue.push(j)
          continue
        }
        if (piece !== UNREMEMBERED) {
          const found = cache.verdict(piece, s.id)
          if (found !== undefined) {
            for (let k = 0; k < found.length; k++) hits[s.members[found[k]]] = 1
            continue
          }
        } else {
          cache.missed()
        }
        if (pending === undefined) pending = [j]
        else pending.push(j)
      }
      if (pending !== undefined) this.scanParts(s, textIndex, src, pending, hits, cache)
      if (byValue !== undefined) this.scanValues(s, src, byValue, hits, cache)
    }
  }

  /**
   * One set over the BY_VALUE parts of a text (slots in `src.parts`), value by value: each
   * value's verdict is looked up, and only the values without one are scanned (raw and through
   * the part's chains), then remembered. A form whose token changes on every request, or a
   * query whose id does, then scans that one value, not all of them. As sound as a part's
   * verdict: a value's text is the value alone, so the verdict is as precise as any. A part
   * whose whole piece was just made gets the union of its values' verdicts as its own.
   */
  private scanValues (s: PrefilterSet, src: TextSource, slots: readonly number[], hits: Uint8Array, cache: ResultCache): void {
    const sep = this.table.parts[src.parts[slots[0]]].separator
    const values: VarEntry[] = []
    const valuePieces: ValuePiece[] = []
    const changed: string[] = []
    const slotOf: number[] = []
    // Per slot: the union of its values' verdicts, when its whole piece wants one.
    const unions: Array<number[] | undefined> = []
    for (let j = 0; j < slots.length; j++) {
      const part = src.parts[slots[j]]
      const entries = this.valueEntries[part] as VarEntry[]
      const ps = this.valuePieces[part] as ValuePiece[]
      const pairs = src.partPairs[slots[j]]
      const union: number[] | undefined = this.wholePieces[part] === undefined ? undefined : []
      unions[j] = union
      for (let i = 0; i < entries.length; i++) {
        const piece = ps[i]
        if (piece !== UNREMEMBERED) {
          const found = cache.verdict(piece, s.id)
          if (found !== undefined) {
            for (let k = 0; k < found.length; k++) {
              hits[s.members[found[k]]] = 1
              union?.push(found[k])
            }
            continue
          }
        } else {
          cache.missed()
        }
        values.push(entries[i])
        valuePieces.push(piece)
        changed.push(this.valueChanged(entries[i], pairs, sep))
        slotOf.push(j)
      }
    }
    try {
      if (values.length > 0) this.scanPendingValues(s, sep, values, valuePieces, changed, slotOf, unions, hits, cache)
    } catch {
      // As in scanGroup: the DFA ran out of memory; every member is a candidate, nothing is remembered.
      for (const m of s.members) hits[m] = 1
      return
    }
    for (let j = 0; j < slots.length; j++) {
      const union = unions[j]
      if (union !== undefined) cache.remember(this.wholePieces[src.parts[slots[j]]] as ScanPiece, s.id, union.length === 0 ? NOTHING : [...new Set(union)])
    }
  }

  /** scanValues' scan of the values without a verdict: their verdicts marked, remembered and added to their slot's union. */
  private scanPendingValues (s: PrefilterSet, sep: string, values: readonly VarEntry[], valuePieces: readonly ValuePiece[], changed: readonly string[],
    slotOf: readonly number[], unions: ReadonlyArray<number[] | undefined>, hits: Uint8Array, cache: ResultCache): void {
    let none = s.factors !== undefined && !valuesHold(s.factors, values, changed)
    if (none) cache.skipped()
    else if (values.length > 1) {
      // Most values match nothing: one test over all of them (whole values joined) first.
      let all = ''
      for (let k = 0; k < values.length; k++) all += (k === 0 ? '' : sep) + values[k].value + changed[k]
      none = !s.set.test(toBytes(all))
    }
    for (let k = 0; k < values.length; k++) {
      let found = NOTHING
      if (!none) {
        found = foundIn(s, toBytes(values[k].value), NOTHING)
        if (changed[k].length > 0) found = foundIn(s, toBytes(changed[k]), found)
        const union = unions[slotOf[k]]
        for (let m = 0; m < found.length; m++) {
          hits[s.members[found[m]]] = 1
          union?.push(found[m])
        }
      }
      const piece = valuePieces[k]
      if (piece !== UNREMEMBERED) cache.remember(piece, s.id, found)
    }
  }

  /** A value's changed forms under a part's pairs' chains, each after the separator ('' when none). */
  private valueChanged (e: VarEntry, pairs: readonly number[], sep: string): string {
    let out = ''
    for (let i = 0; i < pairs.length; i++) {
      const v = transformed(e, this.table.partChains[pairs[i]].chain)
      if (v !== e.value) out += sep + v
    }
    return out
  }

  /**
   * One set over some parts of a text (slots in `src.parts`): their raw values run by run and
   * their changed values together, then, where the set found something, part by part for the
   * verdicts. Remembers each rememberable part's verdict.
   */
  private scanParts (s: PrefilterSet, textIndex: number, src: TextSource, pending: number[], hits: Uint8Array, cache: ResultCache): void {
    const parts = src.parts
    const lane = this.lanes[this.table.raws[src.raw].lane] as LaneBytes
    const positions = this.table.positions
    // Per pending part: whether its run may match (true: matched alone below), or its verdict already.
    const raw = new Array<boolean | readonly number[]>(pending.length)
    const changed = new Array<string>(pending.length)
    for (let k = 0; k < pending.length; k++) changed[k] = this.partChanged(src.partPairs[pending[k]])
    if (s.factors !== undefined && !this.mayHold(s.factors, parts, pending, changed)) {
      // No part holds any literal every match needs: the set cannot match, and is not called.
      cache.skipped()
      for (let k = 0; k < pending.length; k++) {
        const piece = this.pieces[parts[pending[k]]] as PartPiece
        if (piece instanceof ScanPiece) cache.remember(piece, s.id, NOTHING)
      }
      return
    }
    try {
      // Runs of parts that are neighbours in the lane: one call each (a run of one part is its
      // verdict at once: match costs what test does when nothing matches, and spares a second scan).
      for (let a = 0; a < pending.length;) {
        let b = a
        while (b + 1 < pending.length && positions[parts[pending[b + 1]]] === positions[parts[pending[b]]] + 1) b++
        const from = lane.starts[positions[parts[pending[a]]]]
        const to = lane.ends[positions[parts[pending[b]]]]
        if (a === b) raw[a] = foundIn(s, lane.bytes.subarray(from, to), NOTHING)
        else {
          const hit = to > from && s.set.test(lane.bytes.subarray(from, to))
          for (let k = a; k <= b; k++) raw[k] = hit
        }
        a = b + 1
      }
      let all = ''
      let changedParts = 0
      for (let k = 0; k < pending.length; k++) {
        all += changed[k]
        if (changed[k].length > 0) changedParts++
      }
      // Changed values of one part only: matched alone below, no test first.
      const changedHit = changedParts === 1 || (changedParts > 1 && s.set.test(pending.length === src.parts.length ? this.changedOf(textIndex, src) : toBytes(all)))
      for (let k = 0; k < pending.length; k++) {
        const part = parts[pending[k]]
        const r = raw[k]
        let found = r === false ? NOTHING : r === true ? foundIn(s, lane.bytes.subarray(lane.starts[positions[part]], lane.ends[positions[part]]), NOTHING) : r
        if (changedHit && changed[k].length > 0) found = foundIn(s, toBytes(changed[k]), found)
        for (let m = 0; m < found.length; m++) hits[s.members[found[m]]] = 1
        const piece = this.pieces[part] as PartPiece
        if (piece instanceof ScanPiece) cache.remember(piece, s.id, found)
      }
    } catch {
      // As in scanGroup: the DFA ran out of memory; every member is a candidate, nothing is remembered.
      for (const m of s.members) hits[m] = 1
    }
  }

  /** Whether some of the parts' values, raw or changed, hold one of a set's literal factors (case folded). */
  private mayHold (factors: readonly string[], parts: readonly number[], pending: readonly number[], changed: readonly string[]): boolean {
    for (let k = 0; k < pending.length; k++) {
      const p = parts[pending[k]]
      let lower = this.lowerTexts[p]
      if (lower === undefined) lower = this.lowerTexts[p] = this.partTexts[p].toLowerCase()
      if (holdsFactor(factors, lower, changed[k])) return true
    }
    return false
  }

  /** A part's changed values under its pairs' chains, each after the separator ('' when none). */
  private partChanged (pairs: readonly number[]): string {
    let out = ''
    for (let i = 0; i < pairs.length; i++) {
      let piece = this.pairTexts[pairs[i]]
      if (piece === undefined) piece = this.pairTexts[pairs[i]] = this.changedValues(this.table.partChains[pairs[i]])
      if (piece.length > 0) out += piece
    }
    return out
  }

  /**
   * A part's piece of the result cache (its lane is laid). A part of several values that the
   * cache cannot serve whole (seen for the first time, too long, or a value holds the
   * separator) is remembered value by value instead (BY_VALUE).
   */
  private pieceOf (part: number, cache: ResultCache): PartPiece {
    const key = this.partKeys[part]
    if (key === undefined) return NO_VALUES
    const whole = key === null ? undefined : cache.piece(key)
    // A piece with verdicts serves the part; a new one (second sighting: often the same
    // request's earlier phase) gets them from its values.
    if (whole !== undefined && (whole.used > 0 || this.partCounts[part] < 2)) return whole
    if (this.partCounts[part] < 2) return UNREMEMBERED
    this.wholePieces[part] = whole
    const p = this.table.parts[part]
    const entries = this.tx.collection(p.col)
    const values: VarEntry[] = []
    const ps: ValuePiece[] = []
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]
      if (p.keys !== undefined && !p.keys.has(e.lkey)) continue
      values.push(e)
      ps.push(e.value.length > MAX_PIECE_CHARS || e.value.indexOf(p.separator) !== -1 ? UNREMEMBERED : cache.piece(e.value) ?? UNREMEMBERED)
    }
    this.valueEntries[part] = values
    this.valuePieces[part] = ps
    return BY_VALUE
  }

  /** A text source's raw views (and so its lane), built once per phase. */
  private rawViewsOf (src: TextSource): Buffer[] {
    let views = this.rawViews[src.raw]
    if (views === undefined) views = this.rawViews[src.raw] = this.viewsOf(this.table.raws[src.raw])
    return views
  }

  /** A text source's changed values as bytes, built once per phase. */
  private changedOf (textIndex: number, src: TextSource): Buffer {
    let extra = this.texts[textIndex]
    if (extra === undefined) extra = this.texts[textIndex] = this.changedText(src)
    return extra
  }

  /** The values a text source's chains changed, as UTF-8 bytes (empty on clean traffic). */
  private changedText (src: TextSource): Buffer {
    const extra = this.partChanged(src.pairs)
    return extra.length === 0 ? EMPTY : toBytes(extra)
  }

  /** The values of a part that a chain changes, each after the separator ('' when none). */
  private changedValues (pc: PartChain): string {
    const part = this.table.parts[pc.part]
    const chain = pc.chain
    const bits = chain.triggerBits
    // A collection none of whose values holds a trigger character of the chain: nothing changes.
    if (bits !== undefined && (this.collectionMask(part.col) & bits) === 0) return ''
    const keys = part.keys
    const sep = part.separator
    const entries = this.tx.collection(part.col)
    let out = ''
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]
      if (keys !== undefined && !keys.has(e.lkey)) continue
      if (bits !== undefined && (entryMask(e) & bits) === 0) continue
      const v = transformed(e, chain)
      if (v !== e.value) out += sep + v
    }
    return out
  }

  /** The trigger bits of every value of a request collection together (./chain.ts). */
  private collectionMask (col: RegisteredCollection): number {
    let m = this.masks[col.index]
    if (m === undefined) {
      m = 0
      const entries = this.tx.collection(col)
      for (let i = 0; i < entries.length; i++) m |= entryMask(entries[i])
      this.masks[col.index] = m
    }
    return m
  }

  /** A raw source as views of its lane's bytes, one per run (empty runs left out). */
  private viewsOf (raw: RawSource): Buffer[] {
    let lane = this.lanes[raw.lane]
    if (lane === undefined) lane = this.lanes[raw.lane] = this.layLane(this.table.lanes[raw.lane])
    const out: Buffer[] = []
    for (const [first, last] of raw.runs) {
      const from = lane.starts[first]
      const to = lane.ends[last]
      if (to > from) out.push(lane.bytes.subarray(from, to))
    }
    return out
  }

  /**
   * A lane's untransformed values, part after part, encoded once: values and parts are joined
   * with the separator, so any run of neighbouring parts is one stretch of whole values. With
   * a result cache, each part's values are also its key (./result-cache.ts), unless the part
   * is too long or a value holds the separator (then two lists of values could give one key).
   */
  private layLane (lane: Lane): LaneBytes {
    const sep = lane.separator
    const keys = this.cache === undefined ? undefined : this.partKeys
    let text = ''
    let any = false
    const starts: number[] = []
    const ends: number[] = []
    // Offsets are counted in UTF-8 bytes: every character beyond 0x7f is counted as it encodes.
    let bytes = 0
    const sepBytes = utf8Length(sep)
    for (const p of lane.parts) {
      const part = this.table.parts[p]
      const wanted = part.keys
      const entries = this.tx.collection(part.col)
      let values = ''
      let count = 0
      let clean = true
      for (let k = 0; k < entries.length; k++) {
        const e = entries[k]
        if (wanted !== undefined && !wanted.has(e.lkey)) continue
        if (count++ > 0) values += sep
        values += e.value
        if (keys !== undefined && clean && e.value.indexOf(sep) !== -1) clean = false
      }
      if (count > 0) {
        if (any) {
          text += sep
          bytes += sepBytes
        }
        any = true
        text += values
      }
      starts[p] = bytes
      if (count > 0) bytes += utf8Length(values)
      ends[p] = bytes
      if (keys !== undefined) {
        keys[p] = count === 0 ? undefined : clean && values.length <= MAX_PIECE_CHARS ? values : null
        this.partTexts[p] = values
        this.partCounts[p] = count
      }
    }
    return { bytes: toBytes(text), starts: lane.parts.map(p => starts[p]), ends: lane.parts.map(p => ends[p]) }
  }
}

function sized<T> (n: number): Array<T | undefined> {
  return n === 0 ? [] : new Array<T | undefined>(n)
}

/** The set's pattern indexes found in `bytes`, added to `found` (NOTHING when none). */
function foundIn (s: PrefilterSet, bytes: Buffer, found: readonly number[]): readonly number[] {
  if (bytes.length === 0) return found
  const more = s.set.match(bytes)
  if (more.length === 0) return found
  return found.length === 0 ? more : [...new Set([...found, ...more])]
}

/** Whether some of the values, raw or changed, hold one of a set's literal factors (case folded). */
function valuesHold (factors: readonly string[], values: readonly VarEntry[], changed: readonly string[]): boolean {
  for (let k = 0; k < values.length; k++) if (holdsFactor(factors, values[k].value.toLowerCase(), changed[k])) return true
  return false
}

/** Whether a lower-cased text, or its changed forms (case folded here), hold one of a set's literal factors. */
function holdsFactor (factors: readonly string[], lower: string, changed: string): boolean {
  const more = changed.length === 0 ? '' : changed.toLowerCase()
  for (let f = 0; f < factors.length; f++) {
    if (lower.includes(factors[f]) || (more.length > 0 && more.includes(factors[f]))) return true
  }
  return false
}

function markFound (s: PrefilterSet, bytes: Buffer, hits: Uint8Array): void {
  if (bytes.length === 0) return
  const found = s.set.match(bytes)
  for (let k = 0; k < found.length; k++) hits[s.members[found[k]]] = 1
}

const EMPTY = Buffer.alloc(0)

const WIDE = /[^\x00-\x7f]/

/** The UTF-8 length of a string (byte strings: one or two bytes a character; U+FFFF three). */
function utf8Length (s: string): number {
  return WIDE.test(s) ? Buffer.byteLength(s, 'utf8') : s.length
}

/**
 * The texts of one phase go into one scratch buffer: a phase runs synchronously to its end,
 * and its texts are dropped with its PhaseScan, so the buffer is reused from the start by every
 * phase (enterScanPhase). A phase a hook starts inside another (depth > 0) writes after the
 * outer one's texts. A text that does not fit gets a new, larger buffer; earlier texts keep
 * the old one.
 */
let scratch = Buffer.allocUnsafe(64 * 1024)
let used = 0
let depth = 0

/** A phase starts using the scratch buffer (from its start unless another phase is running). */
export function enterScanPhase (): void {
  if (depth === 0) used = 0
  depth++
}

export function leaveScanPhase (): void {
  depth--
}

function toBytes (text: string): Buffer {
  // Up to three UTF-8 bytes per UTF-16 unit (two for a byte string's characters).
  const need = text.length * 3
  if (used + need > scratch.length) {
    scratch = Buffer.allocUnsafe(Math.max(scratch.length, need * 2))
    used = 0
  }
  const n = scratch.write(text, used, 'utf8')
  const out = scratch.subarray(used, used + n)
  used += n
  return out
}
