import type { RegisteredCollection } from './collections.js'
import type { ExecRule, Lane, PartChain, PhaseTable, RawSource, TextSource } from './exec.js'
import type { PrefilterSet } from './prefilter.js'
import type { Transaction } from './transaction.js'
import { entryMask, transformed } from './variables.js'

interface LaneBytes {
  bytes: Buffer
  starts: number[]
  ends: number[]
}

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

  constructor (private readonly tx: Transaction, private readonly table: PhaseTable) {
    this.groupHits = sized(table.groups.length)
    this.texts = sized(table.texts.length)
    this.rawViews = sized(table.raws.length)
    this.lanes = sized(table.lanes.length)
    this.pairTexts = sized(table.partChains.length)
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
    let views = this.rawViews[src.raw]
    if (views === undefined) views = this.rawViews[src.raw] = this.viewsOf(this.table.raws[src.raw])
    let extra = this.texts[group.text]
    if (extra === undefined) extra = this.texts[group.text] = this.changedText(src)
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

  /** The values a text source's chains changed, as UTF-8 bytes (empty on clean traffic). */
  private changedText (src: TextSource): Buffer {
    let extra = ''
    const pairs = src.pairs
    for (let i = 0; i < pairs.length; i++) {
      let piece = this.pairTexts[pairs[i]]
      if (piece === undefined) piece = this.pairTexts[pairs[i]] = this.changedValues(this.table.partChains[pairs[i]])
      if (piece.length > 0) extra += piece
    }
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
   * A lane's untransformed values, part after part, encoded once: every part starts after a
   * separator (except the first written), so any run of neighbouring parts is one stretch of
   * whole values.
   */
  private layLane (lane: Lane): LaneBytes {
    const sep = lane.separator
    let text = ''
    const starts: number[] = []
    const ends: number[] = []
    // Offsets are counted in UTF-8 bytes: every character beyond 0x7f is counted as it encodes.
    let bytes = 0
    for (const p of lane.parts) {
      const part = this.table.parts[p]
      const keys = part.keys
      const entries = this.tx.collection(part.col)
      let first = true
      for (let k = 0; k < entries.length; k++) {
        const e = entries[k]
        if (keys !== undefined && !keys.has(e.lkey)) continue
        if (text.length > 0) {
          text += sep
          bytes += utf8Length(sep)
        }
        if (first) {
          starts[p] = bytes
          first = false
        }
        text += e.value
        bytes += utf8Length(e.value)
      }
      if (first) starts[p] = bytes
      ends[p] = bytes
    }
    return { bytes: toBytes(text), starts: lane.parts.map(p => starts[p]), ends: lane.parts.map(p => ends[p]) }
  }
}

function sized<T> (n: number): Array<T | undefined> {
  return n === 0 ? [] : new Array<T | undefined>(n)
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
