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

/** The field names a `Connection` value lists (comma-separated tokens, any case), lower-cased. */
export function connectionOptions (value: string | string[] | number | undefined): string[] {
  if (value === undefined || typeof value === 'number') return []
  const out: string[] = []
  for (const v of typeof value === 'string' ? [value] : value) {
    for (const token of v.split(',')) {
      const name = token.trim().toLowerCase()
      if (name.length > 0 && !out.includes(name)) out.push(name)
    }
  }
  return out
}

function drop (headers: HeaderMap, fixed: readonly string[]): HeaderMap {
  // Names are matched in any case: reply-from lower-cases request headers, but an upstream's
  // response headers are passed as undici gives them.
  let listed: string[] | undefined
  for (const k of Object.keys(headers)) {
    if (k.toLowerCase() === 'connection') listed = connectionOptions(headers[k])
  }
  for (const k of Object.keys(headers)) {
    const name = k.toLowerCase()
    if (ALWAYS.includes(name) || fixed.includes(name) || (listed !== undefined && listed.includes(name))) delete headers[k]
  }
  return headers
}

/** The request headers to send upstream, without hop-by-hop fields (changed in place). */
export function dropRequestHopByHop<H extends HeaderMap> (headers: H): H {
  return drop(headers, REQUEST_ONLY) as H
}

/** The upstream's response headers to send the client, without hop-by-hop fields (changed in place). */
export function dropResponseHopByHop<H extends HeaderMap> (headers: H): H {
  return drop(headers, []) as H
}
