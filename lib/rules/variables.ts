import { charMask, maskVersion } from './chain.js'
import type { TransformNode } from './model.js'

/**
 * One value of a collection in one request: `ARGS:q`, `REQUEST_HEADERS:User-Agent`. It caches
 * the value's transformations by trie node, so a chain shared by many rules (or a prefix of
 * it) is computed once per request. The cache is two short parallel arrays searched linearly:
 * a value meets a handful of chains, and node ids are global, so an array indexed by id would
 * be long and mostly holes.
 */
export class VarEntry {
  /** Node ids and results of the transformations computed so far. */
  tcIds: number[] | undefined = undefined
  tcValues: string[] | undefined = undefined
  /** The trigger bits of the value's characters (./chain.ts), and the class version they were computed with. */
  mask = 0
  maskOf = -1

  constructor (
    /** The key as received ('' for single-valued collections). */
    readonly key: string,
    /** The key for lookups: lower-cased when the collection's keys are case-insensitive. */
    readonly lkey: string,
    readonly value: string
  ) {}
}

/** The trigger bits of an entry's value (./chain.ts), computed once. */
export function entryMask (e: VarEntry): number {
  if (e.maskOf !== maskVersion()) {
    e.mask = charMask(e.value)
    e.maskOf = maskVersion()
  }
  return e.mask
}

/**
 * The value after `node`'s chain, computed once per entry and node. A value with none of the
 * chain's trigger characters (the common case on clean traffic: no `%`, no entity, no escape)
 * comes back at once, without a cache entry.
 */
export function transformed (e: VarEntry, node: TransformNode): string {
  if (node.parent === undefined) return e.value
  const bits = node.triggerBits
  if (bits !== undefined) {
    if ((entryMask(e) & bits) === 0) return e.value
  } else {
    const trigger = node.trigger
    if (trigger !== undefined && !trigger.test(e.value)) return e.value
  }
  const ids = e.tcIds
  if (ids !== undefined) {
    for (let i = 0; i < ids.length; i++) if (ids[i] === node.id) return (e.tcValues as string[])[i]
  }
  const input = transformed(e, node.parent)
  // The chain before left the value as it was: the transformation alone gives the same, once.
  if (node.solo !== undefined && input === e.value) return transformed(e, node.solo)
  const v = node.fn(input)
  // Kept even when unchanged: the value had a trigger character, so skipping is no quicker.
  if (ids === undefined) {
    e.tcIds = [node.id]
    e.tcValues = [v]
  } else {
    ids.push(node.id)
    ;(e.tcValues as string[]).push(v)
  }
  return v
}
