/**
 * Hop-by-hop header fields (RFC 9110 §7.6.1): they describe one connection, so a proxy never
 * passes them on. Framework-free: the gateway applies it to the headers it sends upstream and to
 * the upstream's response headers, before it adds headers of its own (X-Forwarded-*, the request
 * id), so that a client naming those in `Connection` cannot remove them.
 */

/** Dropped from every message a proxy forwards. */
const ALWAYS: readonly string[] = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']

/**
 * Dropped from requests too: `Expect` is answered by the gateway (Node sends `100 Continue`, as
 * nginx does) and the upstream receives a request with its whole body.
 */
const REQUEST_ONLY: readonly string[] = ['expect']

type HeaderMap = Record<string, string | string[] | number | undefined>

const KEEP_ALIVE: readonly string[] = Object.freeze(['keep-alive'])
const CLOSE: readonly string[] = Object.freeze(['close'])

/** The field names a `Connection` value lists (comma-separated tokens, any case), lower-cased. */
export function connectionOptions (value: string | string[] | number | undefined): readonly string[] {
  if (value === undefined || typeof value === 'number') return []
  // What nearly every message says, without splitting it.
  if (value === 'keep-alive') return KEEP_ALIVE
  if (value === 'close') return CLOSE
  const out: string[] = []
  for (const v of typeof value === 'string' ? [value] : value) {
    for (const token of v.split(',')) {
      const name = token.trim().toLowerCase()
      if (name.length > 0 && !out.includes(name)) out.push(name)
    }
  }
  return out
}

/**
 * A copy without the hop-by-hop fields, built by assignment rather than by `delete`s on the given
 * object: `delete` leaves an object in dictionary mode, and the fields the gateway adds next
 * (X-Forwarded-*, the request id) are slow to add to reply-from's object spread (header-copy.ts;
 * bench/profile.ts showed 8 µs per request in applyForwardedHeaders before).
 */
function without (headers: HeaderMap, fixed: DropSet): HeaderMap {
  // Names are matched in any case: reply-from lower-cases request headers, but an upstream's
  // response headers are passed as undici gives them.
  const names = Object.keys(headers)
  let listed: readonly string[] | undefined
  for (let i = 0; i < names.length; i++) {
    const k = names[i]
    if (k.length === 10 && k.toLowerCase() === 'connection') listed = connectionOptions(headers[k])
  }
  const out: HeaderMap = {}
  for (let i = 0; i < names.length; i++) {
    const k = names[i]
    // HTTP/2 pseudo-header fields (`:method`, `:path` …) belong to their stream, like hop-by-hop ones.
    if (k.charCodeAt(0) === 58 /* : */) continue
    // Lower-casing keeps the length of any name it makes ASCII (the Kelvin sign, U+212A, becomes
    // `k`): a name of no dropped or listed field's length is none of them, and needs no new
    // lower-case string.
    if (!fixed.lengths[k.length] && (listed === undefined || !hasLength(listed, k.length))) {
      out[k] = headers[k]
      continue
    }
    const name = k.toLowerCase()
    if (fixed.names.has(name) || (listed !== undefined && listed.includes(name))) continue
    out[k] = headers[k]
  }
  return out
}

function hasLength (names: readonly string[], length: number): boolean {
  for (let i = 0; i < names.length; i++) if (names[i].length === length) return true
  return false
}

/** Field names to drop, and which lengths they have. */
interface DropSet { names: ReadonlySet<string>, lengths: readonly boolean[] }

function dropSet (names: readonly string[]): DropSet {
  const lengths: boolean[] = []
  for (const n of names) lengths[n.length] = true
  for (let i = 0; i < lengths.length; i++) lengths[i] = lengths[i] === true
  return { names: new Set(names), lengths }
}

const REQUEST_DROPPED: DropSet = dropSet([...ALWAYS, ...REQUEST_ONLY])
/** The fields never passed on from an upstream's response (besides those its `Connection` names). */
export const RESPONSE_DROPPED: ReadonlySet<string> = new Set(ALWAYS)
const RESPONSE_DROP_SET: DropSet = dropSet(ALWAYS)

/** The request headers to send upstream, without hop-by-hop fields: a new object (see `without`). */
export function dropRequestHopByHop<H extends HeaderMap> (headers: H): H {
  return without(headers, REQUEST_DROPPED) as H
}

/** The upstream's response headers to send the client, without hop-by-hop fields: a new object (see `without`). */
export function dropResponseHopByHop<H extends HeaderMap> (headers: H): H {
  return without(headers, RESPONSE_DROP_SET) as H
}
