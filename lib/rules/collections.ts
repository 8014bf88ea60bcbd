import { bodyProcessor, isPlainTextBody } from './body-processor.js'
import type { Phase } from './model.js'
import type { RequestData } from './request-data.js'
import type { ResponseData } from './response-data.js'
import { VarEntry } from './variables.js'

/**
 * What a collection is built from: the transaction's request, response and state, as
 * `Transaction` (./transaction.ts) offers them. Declared here, not imported, so that the
 * registry and the transaction do not import each other.
 */
export interface CollectionReader {
  readonly req: RequestData
  /** The response, from phase 3 on. */
  readonly response: ResponseData | undefined
  readonly cols: BuiltinSlots
  readonly phase: Phase
  /** Another collection's entries. */
  collection(col: RegisteredCollection): VarEntry[]
  /** TX variable `name` (any case), or undefined. */
  getTx(name: string): string | undefined
  /** The entry of TX variable `key` (lower-case), or undefined when it is unset. */
  txEntry(key: string): VarEntry | undefined
  /** Every TX variable, as entries. */
  txEntries(): VarEntry[]
  /** MATCHED_VAR / MATCHED_VAR_NAME / MATCHED_VARS of the current rule. */
  readonly matchedVar: string
  readonly matchedVarName: string
  /** How many values the current rule matched so far. */
  readonly matchedCount: number
  /** Those values as entries (key = the variable's name, value = the matched value). */
  matchedEntries(): readonly VarEntry[]
}

/**
 * A variable (collection) rules can target. Request collections are built once per phase
 * from the request and may be prefiltered; dynamic ones (TX, MATCHED_*) are read from the
 * transaction's state at every use.
 */
export interface CollectionDef {
  readonly name: string
  /** Keys are compared lower-cased (every collection but the ARGS family, as in Coraza). */
  readonly caseless: boolean
  /** Read from the transaction's state at every use: never cached, never prefiltered. */
  readonly dynamic: boolean
  /** Changes when the body arrives: rebuilt in phase 2. */
  readonly body: boolean
  /** Single-valued: the location is the bare name (`REQUEST_URI`), not `NAME:key`. */
  readonly single: boolean
  /**
   * For `*_NAMES` collections: the collection whose keys these values are. The prefilter then
   * reads the keys straight from it, without building this collection's entries.
   */
  readonly namesOf?: string
  build(tx: CollectionReader): VarEntry[]
  /**
   * One key's entry without building the whole collection (for `TX:name`): rules that read one
   * variable of a dynamic collection then cost a map read, not a list rebuilt per rule.
   */
  lookup?(tx: CollectionReader, key: string): VarEntry | undefined
}

/** A registered collection, with the slot its entries use in a transaction. */
export interface RegisteredCollection extends CollectionDef {
  readonly index: number
}

const registry = new Map<string, RegisteredCollection>()
const bodySlots: boolean[] = []

/** Adds (or replaces) a collection. Names are upper-case. */
export function registerCollection (def: CollectionDef): RegisteredCollection {
  if (!/^[A-Z][A-Z0-9_]*$/.test(def.name)) throw new TypeError(`registerCollection: invalid name ${JSON.stringify(def.name)}`)
  const old = registry.get(def.name)
  // Every field written here, in one order: all collections share one hidden class, so the
  // evaluator's and the prefilter's reads of `index`, `dynamic` and `build` stay monomorphic (a
  // spread of each definition gave 44 collections 33 classes, and those reads went megamorphic).
  const reg: RegisteredCollection = {
    name: def.name,
    caseless: def.caseless,
    dynamic: def.dynamic,
    body: def.body,
    single: def.single,
    namesOf: def.namesOf,
    build: def.build,
    lookup: def.lookup,
    index: old?.index ?? registry.size
  }
  registry.set(def.name, reg)
  bodySlots[reg.index] = reg.body
  return reg
}

export function getCollection (name: string): RegisteredCollection | undefined {
  return registry.get(name.toUpperCase())
}

export function collectionNames (): string[] {
  return [...registry.keys()].sort()
}

/** Whether the collection in this slot depends on the body. */
export function isBodySlot (index: number): boolean {
  return bodySlots[index] === true
}

export function collectionCount (): number {
  return registry.size
}

const one = (value: string | undefined): VarEntry[] => value === undefined ? [] : [new VarEntry('', '', value)]
const names = (entries: VarEntry[]): VarEntry[] => entries.map(e => new VarEntry(e.key, e.lkey, e.key))

function request (name: string, build: (tx: CollectionReader) => VarEntry[], o: { caseless?: boolean, body?: boolean, single?: boolean, namesOf?: string } = {}): void {
  registerCollection({ name, caseless: o.caseless ?? true, dynamic: false, body: o.body ?? false, single: o.single ?? false, namesOf: o.namesOf, build })
}

function dynamic (name: string, build: (tx: CollectionReader) => VarEntry[], single: boolean, lookup?: (tx: CollectionReader, key: string) => VarEntry | undefined): void {
  registerCollection({ name, caseless: true, dynamic: true, body: false, single, build, lookup })
}

// Arguments: keys are case-sensitive. ARGS shares its entries with ARGS_GET / ARGS_POST, so
// their transformation caches are shared too.
request('ARGS_GET', tx => tx.req.argsGet(), { caseless: false })
request('ARGS_POST', tx => tx.req.argsPost(), { caseless: false, body: true })
request('ARGS', tx => {
  const get = tx.collection(tx.cols.ARGS_GET)
  return tx.req.body === undefined ? get : get.concat(tx.collection(tx.cols.ARGS_POST))
}, { caseless: false, body: true })
request('ARGS_GET_NAMES', tx => names(tx.collection(tx.cols.ARGS_GET)), { caseless: false, namesOf: 'ARGS_GET' })
request('ARGS_POST_NAMES', tx => names(tx.collection(tx.cols.ARGS_POST)), { caseless: false, body: true, namesOf: 'ARGS_POST' })
request('ARGS_NAMES', tx => {
  const get = tx.collection(tx.cols.ARGS_GET_NAMES)
  return tx.req.body === undefined ? get : get.concat(tx.collection(tx.cols.ARGS_POST_NAMES))
}, { caseless: false, body: true, namesOf: 'ARGS' })
request('ARGS_COMBINED_SIZE', tx => {
  let n = 0
  for (const e of tx.collection(tx.cols.ARGS)) n += e.key.length + e.value.length
  return one(String(n))
}, { body: true, single: true })

request('QUERY_STRING', tx => one(tx.req.url.query), { single: true })
request('REQUEST_URI', tx => one(tx.req.decodedUri()), { single: true })
request('REQUEST_URI_RAW', tx => one(tx.req.url.raw), { single: true })
request('REQUEST_FILENAME', tx => one(tx.req.decodedPath()), { single: true })
request('REQUEST_BASENAME', tx => {
  const path = tx.req.decodedPath()
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'))
  // `/` and `/dir/` have an empty basename, as in ModSecurity (a value, not an absent variable).
  return one(path.slice(cut + 1))
}, { single: true })
request('REQUEST_LINE', tx => one(`${tx.req.input.method} ${tx.req.url.raw} ${tx.req.protocol}`), { single: true })
request('REQUEST_METHOD', tx => one(tx.req.input.method), { single: true })
request('REQUEST_PROTOCOL', tx => one(tx.req.protocol), { single: true })
request('REMOTE_ADDR', tx => one(tx.req.input.remoteAddress ?? ''), { single: true })
request('REQUEST_HEADERS', tx => tx.req.headers())
request('REQUEST_HEADERS_NAMES', tx => names(tx.req.headers()), { namesOf: 'REQUEST_HEADERS' })
request('REQUEST_COOKIES', tx => tx.req.cookies())
request('REQUEST_COOKIES_NAMES', tx => names(tx.req.cookies()), { namesOf: 'REQUEST_COOKIES' })
// ModSecurity's XML processor parses the body and leaves REQUEST_BODY empty (the XML collection
// reads the body itself).
request('REQUEST_BODY', tx => bodyProcessor(tx.req) === 'XML' ? [] : tx.req.rawBodyEntries(), { body: true, single: true })
// fastify-waflog's own variable, not ModSecurity's: the raw body of a text/plain request, which no
// body processor turns into ARGS, so that rules written for ARGS can read it without also reading
// (twice) the raw text of every form, JSON or multipart body, as REQUEST_BODY would.
request('REQUEST_BODY_TEXT', tx => isPlainTextBody(tx.req) ? one(tx.req.rawBody()) : [], { body: true, single: true })
request('REQUEST_BODY_LENGTH', tx => {
  const raw = tx.req.body?.raw ?? tx.req.body?.form
  return one(raw === undefined ? '0' : String(raw.length))
}, { body: true, single: true })
request('FILES', tx => (tx.req.body?.files ?? []).map(f => new VarEntry(f.field, f.field.toLowerCase(), f.filename)), { body: true })
request('FILES_SIZES', tx => (tx.req.body?.files ?? []).map(f => new VarEntry(f.field, f.field.toLowerCase(), String(f.size ?? 0))), { body: true })
request('FILES_COMBINED_SIZE', tx => {
  const files = tx.req.body?.files
  if (tx.req.body === undefined) return []
  let total = 0
  for (const f of files ?? []) total += f.size ?? 0
  return one(String(total))
}, { body: true, single: true })
request('FILES_NAMES', tx => (tx.req.body?.files ?? []).map(f => new VarEntry(f.field, f.field.toLowerCase(), f.field)), { body: true, namesOf: 'FILES' })
request('REQBODY_ERROR', tx => one(tx.req.body?.error === undefined ? '0' : '1'), { body: true, single: true })
request('REQBODY_ERROR_MSG', tx => one(tx.req.body?.error ?? ''), { body: true, single: true })
request('REQBODY_PROCESSOR', tx => one(bodyProcessor(tx.req)), { body: true, single: true })

dynamic('TX', tx => tx.txEntries(), false, (tx, key) => tx.txEntry(key))
dynamic('MATCHED_VAR', tx => tx.matchedCount === 0 ? [] : one(tx.matchedVar), true)
dynamic('MATCHED_VAR_NAME', tx => tx.matchedCount === 0 ? [] : one(tx.matchedVarName), true)
// A snapshot: a chain link that reads MATCHED_VARS adds its own matches while it iterates.
dynamic('MATCHED_VARS', tx => tx.matchedEntries().slice(), false)
dynamic('MATCHED_VARS_NAMES', tx => tx.matchedEntries().map(m => new VarEntry(m.key, m.lkey, m.key)), false)

/** Slots of the built-in collections, resolved once. */
export interface BuiltinSlots {
  ARGS: RegisteredCollection
  ARGS_GET: RegisteredCollection
  ARGS_POST: RegisteredCollection
  ARGS_GET_NAMES: RegisteredCollection
  ARGS_POST_NAMES: RegisteredCollection
}

export const BUILTIN_SLOTS: BuiltinSlots = {
  ARGS: registry.get('ARGS') as RegisteredCollection,
  ARGS_GET: registry.get('ARGS_GET') as RegisteredCollection,
  ARGS_POST: registry.get('ARGS_POST') as RegisteredCollection,
  ARGS_GET_NAMES: registry.get('ARGS_GET_NAMES') as RegisteredCollection,
  ARGS_POST_NAMES: registry.get('ARGS_POST_NAMES') as RegisteredCollection
}
