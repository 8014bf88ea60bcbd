import type { LogRecord } from './types.js'

/**
 * Field selection for a filter, compiled once: `include` keeps dotted paths, `exclude` drops
 * them, `fieldNameMap` moves a dotted path to a new (possibly dotted) name. The source record is
 * never modified, since every filter of a stream sees the same object.
 */
export type Projection = (rec: LogRecord) => LogRecord

export interface ProjectionSpec {
  include?: string[]
  exclude?: string[]
  fieldNameMap?: Record<string, string>
}

type Path = readonly string[]

function split (owner: string, option: string, dotted: unknown): Path {
  if (typeof dotted !== 'string' || dotted.length === 0 || dotted.split('.').some(s => s.length === 0)) {
    throw new TypeError(`${owner}: option "${option}" holds ${JSON.stringify(dotted)}, which is not a dotted field name`)
  }
  return dotted.split('.')
}

export function getPath (rec: LogRecord, path: Path): unknown {
  let cur: unknown = rec
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[key]
  }
  return cur
}

function setPath (out: LogRecord, path: Path, value: unknown): void {
  let cur = out
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i]]
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      const fresh: LogRecord = {}
      cur[path[i]] = fresh
      cur = fresh
    } else {
      cur = next as LogRecord
    }
  }
  cur[path[path.length - 1]] = value
}

/**
 * Removes a path from `out`, copying each object on the way so that the source stays whole. A
 * parent object left empty by the removal goes too, so that a renamed `req.method` leaves no
 * `"req":{}` behind.
 */
function deletePath (out: LogRecord, path: Path): void {
  if (getPath(out, path) === undefined) return
  const chain: LogRecord[] = [out]
  let cur = out
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i]] as LogRecord
    const copy = Array.isArray(next) ? next.slice() : { ...next }
    cur[path[i]] = copy
    cur = copy as LogRecord
    chain.push(cur)
  }
  delete cur[path[path.length - 1]]
  for (let i = chain.length - 1; i > 0; i--) {
    const obj = chain[i]
    if (Array.isArray(obj) || Object.keys(obj).length > 0) break
    delete chain[i - 1][path[i - 1]]
  }
}

export function compileProjection (owner: string, spec: ProjectionSpec): Projection | undefined {
  const include = spec.include?.map((p, i) => split(owner, `include[${i}]`, p))
  const exclude = spec.exclude?.map((p, i) => split(owner, `exclude[${i}]`, p))
  if (spec.fieldNameMap !== undefined && (spec.fieldNameMap === null || typeof spec.fieldNameMap !== 'object')) {
    throw new TypeError(`${owner}: option "fieldNameMap" must be an object of dotted names`)
  }
  const renames = Object.entries(spec.fieldNameMap ?? {}).map(([from, to]) =>
    [split(owner, 'fieldNameMap', from), split(owner, `fieldNameMap.${from}`, to)] as const)
  if (include === undefined && exclude === undefined && renames.length === 0) return undefined

  return function project (rec: LogRecord): LogRecord {
    let out: LogRecord
    if (include !== undefined) {
      out = {}
      for (const p of include) {
        const v = getPath(rec, p)
        if (v !== undefined) setPath(out, p, v)
      }
    } else {
      out = { ...rec }
    }
    if (exclude !== undefined) for (const p of exclude) deletePath(out, p)
    for (const [from, to] of renames) {
      const v = getPath(out, from)
      if (v === undefined) continue
      deletePath(out, from)
      setPath(out, to, v)
    }
    return out
  }
}
