/**
 * The `redis://` / `rediss://` URL of the rate-limit store, checked before ioredis sees it:
 * ioredis accepts nearly anything (a typo in the scheme becomes a host name), and a store that
 * cannot work must stop the start, naming the setting, rather than fail open forever.
 */

const PROTOCOLS = new Set(['redis:', 'rediss:'])

/** Why `url` is not a usable Redis URL, or undefined when it is. */
export function redisUrlProblem (url: unknown): string | undefined {
  if (typeof url !== 'string' || url.length === 0) return 'must be a redis://host:port/db or rediss://host:port/db URL'
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return 'must be a redis://host:port/db or rediss://host:port/db URL'
  }
  if (!PROTOCOLS.has(u.protocol)) return `must be a URL with redis: or rediss: (got ${u.protocol})`
  if (u.hostname === '') return 'must name a host (redis://host:port/db)'
  if (u.pathname !== '' && u.pathname !== '/' && !/^\/\d{1,5}$/.test(u.pathname)) return 'must end in a database number, such as /0'
  if (u.search !== '' || u.hash !== '') return 'must not hold a query or a fragment'
  return undefined
}

/** The URL as it may be logged: any password becomes `REDACTED`. */
export function redactRedisUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = 'REDACTED'
    return u.href
  } catch {
    return '(invalid URL)'
  }
}
