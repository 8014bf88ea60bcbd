import type { TransformNode } from './model.js'

/**
 * One value of a collection in one request: `ARGS:q`, `REQUEST_HEADERS:User-Agent`. It caches
 * the value's transformations by trie node, so a chain shared by many rules (or a prefix of
 * it) is computed once per request.
 */
export class VarEntry {
  /** Transformed values by TransformNode id. */
  tc: Array<string | undefined> | undefined = undefined
  /** The prefilter scan that last took this entry (dedupes entries shared by collections). */
  stamp = 0

  constructor (
    /** The key as received ('' for single-valued collections). */
    readonly key: string,
    /** The key for lookups: lower-cased when the collection's keys are case-insensitive. */
    readonly lkey: string,
    readonly value: string
  ) {}
}

/** The value after `node`'s chain, computed once per entry and node. */
export function transformed (e: VarEntry, node: TransformNode): string {
  if (node.parent === undefined) return e.value
  let cache = e.tc
  if (cache === undefined) {
    cache = []
    e.tc = cache
  }
  const hit = cache[node.id]
  if (hit !== undefined) return hit
  const v = node.fn(transformed(e, node.parent))
  cache[node.id] = v
  return v
}
