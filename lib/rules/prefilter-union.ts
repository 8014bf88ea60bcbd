import type { PrefilterSet } from './prefilter.js'
import { setRuns } from './prefilter.js'
import { compileSet } from './regex.js'
import type { RegexSet } from './regex.js'

/**
 * A part's union: every pattern of every set of a phase that reads the part (raw, or through
 * one chain), in as few RE2.Sets as fit (the limits of ./prefilter.ts). A value that changes on every request (a path, a
 * query's id) misses the result cache in every set that reads it: the CRS at PL1 reads the
 * arguments with 30 sets in phase 2 and the path with 10. Its union scans each of its texts once
 * for all of them (./scan.ts), and each set's verdict is read off the result: an RE2.Set
 * reports each of its patterns that matches, whatever else is in the set, so a set's share of
 * the union's result is what the set itself would report on the same text, no more, no less.
 */
export class PartUnion {
  constructor (
    private readonly chunks: readonly RegexSet[],
    /** Per chunk, per pattern: the slots and pattern indexes of the sets that hold it (slot, index, slot, index …). */
    private readonly owners: ReadonlyArray<ReadonlyArray<readonly number[]>>,
    /**
     * Whether a set without literal factors, in a group a rule (not only a later chain link)
     * belongs to, reads the union's text: the union scans each of its texts whenever that rule
     * is reached, so the sets with factors asking before it need not look for them first (their
     * share of the result is empty where their factors are absent). The 4 KB form at PL1: 20 of
     * its 39 factor searches over the body, about 1 µs each, went before a scan made anyway.
     */
    readonly scannedAnyway: boolean
  ) {}

  /**
   * Each set's patterns found in `bytes`, by set slot (undefined: none). Throws when a DFA runs
   * out of memory on the text, as a set's match does.
   */
  scan (bytes: Buffer, slots: number): Array<readonly number[] | undefined> {
    const out = new Array<number[] | undefined>(slots)
    if (bytes.length === 0) return out
    for (let c = 0; c < this.chunks.length; c++) {
      const found = this.chunks[c].match(bytes)
      const owners = this.owners[c]
      for (let k = 0; k < found.length; k++) {
        const o = owners[found[k]]
        for (let i = 0; i < o.length; i += 2) {
          const list = out[o[i]]
          if (list === undefined) out[o[i]] = [o[i + 1]]
          else list.push(o[i + 1])
        }
      }
    }
    return out
  }
}

/**
 * The unions of a phase: by part (index in `parts`), the sets that read its raw values; by part
 * chain (index in `partChains`), the sets that read its values through that chain. Undefined
 * where fewer than two sets read a text (one set scans it alone for the same cost), or where
 * the patterns do not compile together. Gives every set its slot; texts read by the same sets
 * share one union.
 */
export function buildUnions (groups: ReadonlyArray<{ text: number, sets: readonly PrefilterSet[] }>,
  texts: ReadonlyArray<{ parts: readonly number[], partPairs: ReadonlyArray<readonly number[]> }>, partCount: number, pairCount: number,
  headed: readonly boolean[]):
  { unions: Array<PartUnion | undefined>, pairUnions: Array<PartUnion | undefined>, setCount: number } {
  const raw: PrefilterSet[][] = Array.from({ length: partCount }, () => [])
  const changed: PrefilterSet[][] = Array.from({ length: pairCount }, () => [])
  let setCount = 0
  // The sets without literal factors whose group is scanned whenever one of its rules is reached.
  const unfiltered = new Set<PrefilterSet>()
  groups.forEach((g, i) => {
    const t = texts[g.text]
    for (const s of g.sets) {
      s.slot = setCount++
      if (headed[i] && s.factors === undefined) unfiltered.add(s)
      t.parts.forEach((p, k) => {
        raw[p].push(s)
        for (const pair of t.partPairs[k]) changed[pair].push(s)
      })
    }
  })
  const made = new Map<string, PartUnion | undefined>()
  const unionFor = (sets: PrefilterSet[]): PartUnion | undefined => {
    if (sets.length < 2) return undefined
    const key = sets.map(s => s.slot).join(',')
    if (!made.has(key)) made.set(key, unionOf(sets, sets.some(s => unfiltered.has(s))))
    return made.get(key)
  }
  return { unions: raw.map(unionFor), pairUnions: changed.map(unionFor), setCount }
}

/** One union of some sets' patterns; a pattern two sets hold is compiled once. */
function unionOf (sets: readonly PrefilterSet[], scannedAnyway: boolean): PartUnion | undefined {
  const sources: string[] = []
  const owners: number[][] = []
  const at = new Map<string, number>()
  for (const s of sets) {
    s.sources.forEach((src, i) => {
      let u = at.get(src)
      if (u === undefined) {
        at.set(src, u = sources.length)
        sources.push(src)
        owners.push([])
      }
      owners[u].push(s.slot, i)
    })
  }
  const chunks: RegexSet[] = []
  const chunkOwners: number[][][] = []
  for (const [from, to] of setRuns(sources)) {
    if (!compiled(sources.slice(from, to), owners.slice(from, to), chunks, chunkOwners)) return undefined
  }
  return new PartUnion(chunks, chunkOwners, scannedAnyway)
}

/** Compiles some patterns as sets, halving a run RE2 refuses whole; false when a single pattern is refused. */
function compiled (sources: string[], owners: number[][], chunks: RegexSet[], chunkOwners: number[][][]): boolean {
  try {
    chunks.push(compileSet(sources, 'm'))
    chunkOwners.push(owners)
    return true
  } catch {
    if (sources.length === 1) return false
    const half = sources.length >> 1
    return compiled(sources.slice(0, half), owners.slice(0, half), chunks, chunkOwners) &&
      compiled(sources.slice(half), owners.slice(half), chunks, chunkOwners)
  }
}
