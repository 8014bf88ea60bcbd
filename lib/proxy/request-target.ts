/**
 * The request target a proxy forwards (RFC 9112 §3.2): origin-form (`/path?query`) as it is;
 * absolute-form (`http://host/path?query`, what clients send to a proxy) as its path and query,
 * bytes untouched; asterisk-form (`OPTIONS *`) and authority-form (`CONNECT host:port`) have no
 * path to forward and give `undefined`: the gateway answers those itself.
 */

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i

export function forwardedTarget (target: string): string | undefined {
  if (target.charCodeAt(0) === 47 /* / */) return target
  const m = ABSOLUTE.exec(target)
  if (m === null) return undefined
  const rest = target.slice(m[0].length)
  return rest.length === 0 ? '/' : rest.charCodeAt(0) === 63 /* ? */ ? '/' + rest : rest
}

const DOT_DOT = /(?:^|\/)(?:\.|%2e){2}(?:\/|$)/i

/**
 * Whether the path of an origin-form target has a `..` segment (`%2e` counted as a dot). The
 * gateway refuses those with a 400, as `@fastify/reply-from` did, so that an upstream that
 * resolves paths itself is never asked for one above where it was sent; the query is not looked at.
 */
export function hasDotDotSegment (target: string): boolean {
  const q = target.indexOf('?')
  const path = q === -1 ? target : target.slice(0, q)
  return path.indexOf('.') !== -1 || path.indexOf('%') !== -1 ? DOT_DOT.test(path) : false
}
