import { getCollection, registerCollection } from './collections.js'
import type { CollectionReader, RegisteredCollection } from './collections.js'
import { VarEntry } from './variables.js'

/**
 * The response variables (DESIGN.md "Rules"): RESPONSE_STATUS, RESPONSE_PROTOCOL,
 * RESPONSE_HEADERS, RESPONSE_HEADERS_NAMES, RESPONSE_CONTENT_TYPE, RESPONSE_CONTENT_LENGTH from
 * phase 3, RESPONSE_BODY in phase 4. Before the response exists they are empty, as in
 * ModSecurity. Request collections like these: built once, prefiltered with the rest.
 */

/** The first phase each response variable has a value in. */
export const RESPONSE_VARIABLE_PHASE: Readonly<Record<string, 3 | 4>> = Object.freeze({
  RESPONSE_STATUS: 3,
  RESPONSE_PROTOCOL: 3,
  RESPONSE_HEADERS: 3,
  RESPONSE_HEADERS_NAMES: 3,
  RESPONSE_CONTENT_TYPE: 3,
  RESPONSE_CONTENT_LENGTH: 3,
  RESPONSE_BODY: 4
})

const one = (value: string | undefined): VarEntry[] => value === undefined ? [] : [new VarEntry('', '', value)]

function response (name: string, build: (tx: CollectionReader) => VarEntry[], single: boolean, namesOf?: string): void {
  registerCollection({ name, caseless: true, dynamic: false, body: false, single, namesOf, build })
}

response('RESPONSE_STATUS', tx => one(tx.response?.status), true)
response('RESPONSE_PROTOCOL', tx => one(tx.response?.protocol), true)
response('RESPONSE_HEADERS', tx => tx.response?.headers ?? [], false)
response('RESPONSE_HEADERS_NAMES', tx => (tx.response?.headers ?? []).map(e => new VarEntry(e.key, e.lkey, e.key)), false, 'RESPONSE_HEADERS')
response('RESPONSE_CONTENT_TYPE', tx => one(tx.response?.contentType), true)
response('RESPONSE_CONTENT_LENGTH', tx => one(tx.response?.contentLength), true)
response('RESPONSE_BODY', tx => one(tx.response?.body), true)

/** The response collections, for a transaction to forget what it built before the response was there. */
export const RESPONSE_COLLECTIONS: readonly RegisteredCollection[] = Object.keys(RESPONSE_VARIABLE_PHASE).map(n => getCollection(n) as RegisteredCollection)
export const RESPONSE_BODY_COLLECTION = getCollection('RESPONSE_BODY') as RegisteredCollection
export const RESPONSE_HEADER_COLLECTIONS: readonly RegisteredCollection[] = ['RESPONSE_HEADERS', 'RESPONSE_HEADERS_NAMES'].map(n => getCollection(n) as RegisteredCollection)

/** The phase a rule reading these targets belongs in when it names none: the latest response variable's, if any. */
export function responsePhase (targets: ReadonlyArray<{ collection: string }>): 3 | 4 | undefined {
  let phase: 3 | 4 | undefined
  for (const t of targets) {
    const p = RESPONSE_VARIABLE_PHASE[t.collection.toUpperCase()]
    if (p !== undefined && (phase === undefined || p > phase)) phase = p
  }
  return phase
}

/** Why a rule of `phase` cannot read one of its targets (a response variable before it exists), or undefined. */
export function responseTargetTooEarly (targets: ReadonlyArray<{ collection: string }>, phase: number): string | undefined {
  for (const t of targets) {
    const name = t.collection.toUpperCase()
    const p = RESPONSE_VARIABLE_PHASE[name]
    if (p !== undefined && phase < p) return `${name} has a value from phase ${p} on; this rule is phase ${phase}`
  }
  return undefined
}
