import type { RegisteredCollection } from './collections.js'
import { ALL_PARTS, partBit } from './exec.js'
import type { ExecRule, Lane, PartChain, PhaseTable, RawSource, TextSource } from './exec.js'
import type { TransformNode } from './model.js'
import type { PrefilterSet } from './prefilter.js'
import type { PartUnion } from './prefilter-union.js'
import { NOTHING, ScanPiece } from './result-cache.js'
import type { ResultCache } from './result-cache.js'
import { BY_VALUE, NO_VALUES, partValues, TxScanMemo, UNREMEMBERED } from './scan-memo.js'
import type { PartValues, ValuePiece } from './scan-memo.js'
import type { Transaction } from './transaction.js'
import { entryMask, transformed, VarEntry } from './variables.js'

interface LaneBytes {
  bytes: Buffer
  starts: number[]
  ends: number[]
}

/**
 * The prefilter's work in one phase of one transaction: every group scanned on first use, every
 * text it scans built once and shared (see exec.ts for what the pieces are). Owned by the
 * evaluator's runPhase and dropped when the phase ends. With a result cache, the parts' texts
 * and pieces are the transaction's (./scan-memo.ts), kept for its next phase.
 */
export class PhaseScan {
  /** Which groups were scanned (1), by group index. */
  private readonly scanned: Uint8Array
  /**
   * Which members can match, by member index (every group's members in one array): the bits of
   * the parts their sets found something in (exec.ts partBit; ALL_PARTS when the scan cannot
   * say which), 0 when none.
   */
  private readonly hits: Int32Array
  /** The changed values of each text source. */
  private readonly texts: Array<Buffer | undefined>
  /** The views of each raw source. */
  private readonly rawViews: Array<Buffer[] | undefined>
  private readonly lanes: Array<LaneBytes | undefined>
  /** Each part through a chain. */
  private readonly pairTexts: Array<string | undefined>
  /** collectionMask results, by collection slot. */
  private readonly masks: Array<number | undefined> = []
  private readonly cache: ResultCache | undefined
  /** With a result cache: the transaction's parts (./scan-memo.ts). */
  private readonly memo: TxScanMemo | undefined
  /** With a result cache: each part's values (by the phase's part index), on first use. */
  private readonly values: Array<PartValues | undefined> = []
  /** With a result cache: each union's results by text (null: its DFA ran out of memory), this phase (see unionShare). */
  private readonly unionResults: Array<Map<string, UnionText> | null | undefined> = []

  constructor (private readonly tx: Transaction, private readonly table: PhaseTable) {
    this.scanned = pooledScanned(table.groups.length)
    this.hits = pooledHits(table.memberCount)
    this.cache = tx.resultCache
    // The lanes' state is the scan's without a result cache; with one, the transaction's parts.
    const lanes = this.cache === undefined
    this.texts = lanes ? sized(table.texts.length) : []
    this.rawViews = lanes ? sized(table.raws.length) : []
    this.lanes = lanes ? sized(table.lanes.length) : []
    this.pairTexts = lanes ? sized(table.partChains.length) : []
    if (!lanes) this.memo = tx.scanMemo ??= new TxScanMemo()
  }

  /** The prefilter's verdict on a rule or chain link that has a group. */
  canMatch (x: ExecRule): boolean {
    if (this.scanned[x.group] === 0) this.scanGroup(x.group)
    return this.hits[x.member] !== 0
  }

  /**
   * After canMatch said yes: the bits of the parts (exec.ts partBit) the member's patterns were
   * found in. A target whose part's bit is not among them holds no value the member can match
   * (ExecRule.partBits): its pattern matches a value only if it matches the value alone, and
   * each part is scanned alone (raw, and through every chain of the group's members).
   */
  partsHit (x: ExecRule): number {
    return this.hits[x.member]
  }

  /**
   * Runs a group's sets over its values: the views of its raw source in the lanes, then the
   * values its chains changed. Which members can match at all.
   */
  private scanGroup (index: number): void {
    const group = this.table.groups[index]
    const hits = this.hits
    this.scanned[index] = 1
    const src = this.table.texts[group.text]
    if (this.cache !== undefined) {
      this.scanRemembered(group.sets, src, hits, this.cache)
      return
    }
    const views = this.rawViewsOf(src)
    const extra = this.changedOf(group.text, src)
    if (views.length === 0 && extra.length === 0) return
    for (const s of group.sets) {
      try {
        // Most values match nothing: test() stops at the first match and builds no list.
        let hit = extra.length > 0 && s.set.test(extra)
        for (let v = 0; v < views.length && !hit; v++) hit = s.set.test(views[v])
        if (!hit) continue
        markFound(s, extra, hits)
        for (let v = 0; v < views.length; v++) markFound(s, views[v], hits)
      } catch {
        everyMember(s, hits)
      }
    }
  }

  /**
   * scanGroup with a result cache: part by part, each set's verdict is looked up, and only the
   * parts it has no verdict on are scanned (their raw values, and their changed values as one
   * text), then remembered. Scanning a part alone is as sound as scanning it joined with its
   * neighbours: a pattern that matches a value matches any text of whole values that holds it,
   * so a verdict may over-report and never misses.
   */
  private scanRemembered (sets: readonly PrefilterSet[], src: TextSource, hits: Int32Array, cache: ResultCache): void {
    const parts = src.parts
    for (let j = 0; j < parts.length; j++) if (this.values[parts[j]] === undefined) this.values[parts[j]] = this.valuesOf(parts[j], cache)
    for (const s of sets) {
      for (let j = 0; j < parts.length; j++) {
        const piece = (this.values[parts[j]] as PartValues).piece
        if (piece === NO_VALUES) continue
        if (piece === BY_VALUE) {
          this.scanValues(s, src, j, hits, cache)
          continue
        }
        if (piece !== UNREMEMBERED) {
          const found = cache.verdict(piece, s.id)
          if (found !== undefined) {
            const bit = partBit(j)
            for (let k = 0; k < found.length; k++) hits[s.members[found[k]]] |= bit
            continue
          }
        } else {
          cache.missed()
        }
        this.scanPart(s, src, j, hits, cache)
      }
    }
  }

  /** A part's values in this transaction: the transaction's, unless its collection was rebuilt since (the body arrived). */
  private valuesOf (part: number, cache: ResultCache): PartValues {
    const p = this.table.parts[part]
    const memo = this.memo as TxScanMemo
    const entries = this.tx.collection(p.col)
    const kept = memo.parts[p.id]
    if (kept !== undefined && kept.entries === entries) return kept
    const made = partValues(p, entries, cache, memo.sighting)
    memo.parts[p.id] = made
    return made
  }

  /**
   * One set over a BY_VALUE part (slot `j` of `src.parts`), value by value: each value's verdict
   * is looked up, and only the values without one are scanned (raw and through the part's
   * chains), then remembered. A form whose token changes on every request, or a query whose id
   * does, then scans that one value, not all of them. As sound as a part's verdict: a value's
   * text is the value alone, so the verdict is as precise as any. A part whose whole piece was
   * just made gets the union of its values' verdicts as its own.
   */
  private scanValues (s: PrefilterSet, src: TextSource, j: number, hits: Int32Array, cache: ResultCache): void {
    const part = src.parts[j]
    const bit = partBit(j)
    const pairs = src.partPairs[j]
    const pv = this.values[part] as PartValues
    const entries = pv.values
    const ps = pv.valuePieces as readonly ValuePiece[]
    const union: number[] | undefined = pv.whole === undefined ? undefined : []
    // The values without a verdict, in scratch arrays (a scan runs to its end without yielding).
    let missed = 0
    for (let i = 0; i < entries.length; i++) {
      const piece = ps[i]
      if (piece !== UNREMEMBERED) {
        const found = cache.verdict(piece, s.id)
        if (found !== undefined) {
          for (let k = 0; k < found.length; k++) {
            hits[s.members[found[k]]] |= bit
            union?.push(found[k])
          }
          continue
        }
      } else {
        cache.missed()
      }
      MISSED_VALUES[missed] = entries[i]
      MISSED_PIECES[missed++] = piece
    }
    try {
      if (missed > FEW_VALUES) this.scanManyValues(s, this.table.parts[part].separator, pairs, missed, union, hits, bit, cache)
      else for (let k = 0; k < missed; k++) this.valueVerdict(s, this.valueFound(s, part, MISSED_VALUES[k], pairs), MISSED_PIECES[k], union, hits, bit, cache)
    } catch {
      // Nothing is remembered of a scan that did not finish.
      everyMember(s, hits)
      return
    } finally {
      // Nothing of this request is kept alive by the scratch.
      MISSED_VALUES.fill(EMPTY_ENTRY, 0, missed)
      MISSED_PIECES.fill(UNREMEMBERED, 0, missed)
    }
    if (union !== undefined) cache.remember(pv.whole as ScanPiece, s.id, union.length === 0 ? NOTHING : [...new Set(union)])
  }

  /** A value's verdict: its members marked, remembered, and added to its part's union. */
  private valueVerdict (s: PrefilterSet, found: readonly number[], piece: ValuePiece, union: number[] | undefined, hits: Int32Array, bit: number, cache: ResultCache): void {
    for (let m = 0; m < found.length; m++) {
      hits[s.members[found[m]]] |= bit
      union?.push(found[m])
    }
    if (piece !== UNREMEMBERED) cache.remember(piece, s.id, found)
  }

  /**
   * scanValues for more than a few values (a form or a JSON body seen for the first time, in
   * MISSED_VALUES): one test over all of them, raw and changed, whole values joined (most match
   * nothing), then value by value where it hit.
   */
  private scanManyValues (s: PrefilterSet, sep: string, pairs: readonly number[], missed: number, union: number[] | undefined, hits: Int32Array, bit: number, cache: ResultCache): void {
    const values = MISSED_VALUES.slice(0, missed)
    const changed: string[] = []
    for (let k = 0; k < missed; k++) changed.push(this.valueChanged(values[k], pairs, sep))
    let none = s.factors !== undefined && !valuesHold(s.factors, values, changed)
    if (none) cache.skipped()
    else {
      let all = ''
      for (let k = 0; k < missed; k++) all += (k === 0 ? '' : sep) + values[k].value + changed[k]
      none = !s.set.test(toBytes(all))
    }
    for (let k = 0; k < missed; k++) {
      let found = NOTHING
      if (!none) {
        found = foundIn(s, toBytes(values[k].value), NOTHING)
        if (changed[k].length > 0) found = foundIn(s, toBytes(changed[k]), found)
      }
      this.valueVerdict(s, found, MISSED_PIECES[k], union, hits, bit, cache)
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

  /** One set over a part (slot `j` of `src.parts`) it has no verdict on: its verdict, remembered when the part is. */
  private scanPart (s: PrefilterSet, src: TextSource, j: number, hits: Int32Array, cache: ResultCache): void {
    const part = src.parts[j]
    let found: readonly number[]
    try {
      found = this.partFound(s, part, src.partPairs[j])
    } catch {
      // Nothing is remembered of a scan that did not finish.
      everyMember(s, hits)
      return
    }
    const bit = partBit(j)
    for (let m = 0; m < found.length; m++) hits[s.members[found[m]]] |= bit
    const piece = (this.values[part] as PartValues).piece
    if (piece instanceof ScanPiece) cache.remember(piece, s.id, found)
  }

  /**
   * A set's verdict on a part's values, raw and through its pairs' chains: the texts a union
   * holds read off its result, the others scanned by the set together (whole values joined).
   */
  private partFound (s: PrefilterSet, part: number, pairs: readonly number[]): readonly number[] {
    const table = this.table
    const pv = this.values[part] as PartValues
    // A few values whose verdict is remembered: value by value, so that a pattern matching
    // across two joined values (`id` `\n` `q` for a command and its argument) is not kept as
    // the part's verdict for every request to come.
    if (pv.values.length > 1 && pv.values.length <= FEW_JOINED && pv.piece instanceof ScanPiece) {
      let found = NOTHING
      for (let k = 0; k < pv.values.length; k++) found = joined(found, this.valueFound(s, part, pv.values[k], pairs))
      return found
    }
    let alone = ''
    let found = this.unionShare(table.unions[part], part, pv.text, s)
    if (found === undefined) {
      alone = pv.text
      found = NOTHING
    }
    for (let i = 0; i < pairs.length; i++) {
      const changed = this.changedFor(part, table.partChains[pairs[i]].chain)
      if (changed.length === 0) continue
      const more = this.unionShare(table.pairUnions[pairs[i]], table.parts.length + pairs[i], changed, s)
      if (more === undefined) alone += changed
      else found = joined(found, more)
    }
    return alone.length === 0 ? found : joined(found, this.setShare(s, alone))
  }

  /** partFound for one value of a BY_VALUE part. */
  private valueFound (s: PrefilterSet, part: number, e: VarEntry, pairs: readonly number[]): readonly number[] {
    const table = this.table
    const sep = table.parts[part].separator
    let alone = ''
    let found = this.unionShare(table.unions[part], part, e.value, s)
    if (found === undefined) {
      alone = e.value
      found = NOTHING
    }
    let last = e.value
    for (let i = 0; i < pairs.length; i++) {
      const v = transformed(e, table.partChains[pairs[i]].chain)
      // multiMatch's stages often leave the value as the stage before left it.
      if (v === e.value || v === last) continue
      last = v
      const more = this.unionShare(table.pairUnions[pairs[i]], table.parts.length + pairs[i], v, s)
      if (more === undefined) alone += sep + v
      else found = joined(found, more)
    }
    return alone.length === 0 ? found : joined(found, this.setShare(s, alone))
  }

  /** The set alone over a text: not called when the text holds none of its literal factors. */
  private setShare (s: PrefilterSet, text: string): readonly number[] {
    if (s.factors !== undefined && !holdsFactor(s.factors, text.toLowerCase(), '')) {
      this.cache?.skipped()
      return NOTHING
    }
    return foundIn(s, toBytes(text), NOTHING)
  }

  /**
   * A set's share of the result of a union over a text (NOTHING when none): the text is
   * scanned at most once per phase, for every set of the union, and not at all while each set
   * that asks finds none of its literal factors in it (unless a set without factors will scan
   * it anyway: PartUnion.scannedAnyway). `at`: the union's place in
   * unionResults (a part, or the phase's part count plus a part chain). Undefined without a
   * union, or when its DFA ran out of memory (then the sets scan alone, and report every
   * member as they do).
   */
  private unionShare (union: PartUnion | undefined, at: number, text: string, s: PrefilterSet): readonly number[] | undefined {
    if (union === undefined) return undefined
    let results = this.unionResults[at]
    if (results === null) return undefined
    if (results === undefined) results = this.unionResults[at] = new Map()
    let r = results.get(text)
    if (r === undefined) results.set(text, r = new UnionText())
    if (r.found === undefined) {
      if (s.factors !== undefined && !union.scannedAnyway && !holdsFactor(s.factors, r.lower ??= text.toLowerCase(), '')) {
        this.cache?.skipped()
        return NOTHING
      }
      try {
        r.found = union.scan(toBytes(text), this.table.setCount)
      } catch {
        this.unionResults[at] = null
        return undefined
      }
    }
    return r.found[s.slot] ?? NOTHING
  }

  /** With a result cache: a part's values one chain changed, each after the separator ('' when none), kept by the transaction. */
  private changedFor (part: number, chain: TransformNode): string {
    const pv = this.values[part] as PartValues
    let piece = pv.changed(chain.id)
    if (piece === undefined) {
      piece = changedIn(this.table.parts[part].separator, pv.values, undefined, chain, pv.mask === -1 ? (pv.mask = maskOf(pv.values)) : pv.mask)
      pv.keepChanged(chain.id, piece)
    }
    return piece
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
    const bits = pc.chain.triggerBits
    // A collection none of whose values holds a trigger character of the chain: nothing changes.
    if (bits !== undefined && (this.collectionMask(part.col) & bits) === 0) return ''
    return changedIn(part.separator, this.tx.collection(part.col), part.keys, pc.chain)
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
   * with the separator, so any run of neighbouring parts is one stretch of whole values.
   */
  private layLane (lane: Lane): LaneBytes {
    const sep = lane.separator
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
      for (let k = 0; k < entries.length; k++) {
        const e = entries[k]
        if (wanted !== undefined && !wanted.has(e.lkey)) continue
        if (count++ > 0) values += sep
        values += e.value
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
    }
    return { bytes: toBytes(text), starts: lane.parts.map(p => starts[p]), ends: lane.parts.map(p => ends[p]) }
  }
}

/**
 * The values among `entries` (those of `keys`, when given) that a chain changes, each after the
 * separator ('' when none). `mask`: the trigger bits of all of them, when known.
 */
function changedIn (sep: string, entries: readonly VarEntry[], keys: ReadonlySet<string> | undefined, chain: TransformNode, mask = -1): string {
  const bits = chain.triggerBits
  if (bits !== undefined && (mask & bits) === 0) return ''
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

/** The trigger bits of some values together (./chain.ts). */
function maskOf (values: readonly VarEntry[]): number {
  let m = 0
  for (let i = 0; i < values.length; i++) m |= entryMask(values[i])
  return m
}

/** A text a part's union was asked about in one phase: its result once scanned, and the text lower-cased for literal factors. */
class UnionText {
  found: Array<readonly number[] | undefined> | undefined = undefined
  lower: string | undefined = undefined
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

/** Two verdicts together. */
function joined (a: readonly number[], b: readonly number[]): readonly number[] {
  if (b.length === 0) return a
  return a.length === 0 ? b : [...new Set([...a, ...b])]
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

/**
 * A set's DFA ran out of memory on its input: every member is a candidate in every part, and is
 * confirmed by its own operator, so nothing is missed.
 */
function everyMember (s: PrefilterSet, hits: Int32Array): void {
  for (const m of s.members) hits[m] = ALL_PARTS
}

/** Without a result cache the views join several parts: a member found is marked in every part. */
function markFound (s: PrefilterSet, bytes: Buffer, hits: Int32Array): void {
  if (bytes.length === 0) return
  const found = s.set.match(bytes)
  for (let k = 0; k < found.length; k++) hits[s.members[found[k]]] = ALL_PARTS
}

const EMPTY = Buffer.alloc(0)

/** More values than this without a verdict in one set are scanned together first (scanManyValues). */
const FEW_VALUES = 3

/** A remembered part of at most this many values is scanned value by value (partFound). */
const FEW_JOINED = 8

/** scanValues' values without a verdict, and their pieces: scratch, reused by every scan. */
const EMPTY_ENTRY = new VarEntry('', '', '')
const MISSED_VALUES: VarEntry[] = []
const MISSED_PIECES: ValuePiece[] = []

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

/**
 * A phase's hit and scanned arrays, one of each per depth (a PhaseScan is made just before its
 * phase enters, at the depth of the phases running, and dropped when it ends): a typed array of
 * a few hundred slots is backed outside V8's heap, and making two per phase cost more than
 * the rest of the PhaseScan (some µs a CRS request, 2 phases; zeroing one costs a tenth of a µs).
 */
const hitPool: Int32Array[] = []
const scannedPool: Uint8Array[] = []

function pooledHits (n: number): Int32Array {
  let a = hitPool[depth]
  if (a === undefined || a.length < n) hitPool[depth] = a = new Int32Array(n)
  else a.fill(0, 0, n)
  return a
}

function pooledScanned (n: number): Uint8Array {
  let a = scannedPool[depth]
  if (a === undefined || a.length < n) scannedPool[depth] = a = new Uint8Array(n)
  else a.fill(0, 0, n)
  return a
}

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
