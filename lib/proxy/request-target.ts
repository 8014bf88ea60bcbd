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
