/**
 * An upstream's response field names, which undici hands over as bytes, as lowercase strings:
 * the names most responses carry come back as constants, so that no string is made for them and
 * every object keyed by them (the response's headers, Fastify's reply headers, Node's outgoing
 * headers) is looked up with an internalized key. A new string as a key costs V8 a hash and a
 * string-table probe at its first keyed access, in every object it keys (docs/profiling.md).
 * Any other name is read as latin1 and lower-cased, as before.
 */

/** Lowercase names of fields common in responses (hop-by-hop ones among them: they are matched to be dropped). */
export const COMMON_FIELD_NAMES: readonly string[] = [
  'accept-ranges', 'access-control-allow-credentials', 'access-control-allow-headers', 'access-control-allow-methods',
  'access-control-allow-origin', 'access-control-expose-headers', 'access-control-max-age', 'age', 'allow', 'alt-svc',
  'cache-control', 'connection', 'content-disposition', 'content-encoding', 'content-language', 'content-length',
  'content-location', 'content-range', 'content-security-policy', 'content-type', 'cross-origin-opener-policy',
  'cross-origin-resource-policy', 'date', 'etag', 'expires', 'keep-alive', 'last-modified', 'link', 'location',
  'permissions-policy', 'pragma', 'proxy-connection', 'referrer-policy', 'retry-after', 'server', 'set-cookie',
  'strict-transport-security', 'te', 'timing-allow-origin', 'trailer', 'transfer-encoding', 'upgrade', 'vary', 'via',
  'www-authenticate', 'x-content-type-options', 'x-frame-options', 'x-powered-by', 'x-request-id', 'x-xss-protection'
]

/** The common names by their length. */
const BY_LENGTH: ReadonlyArray<readonly string[] | undefined> = (() => {
  const out: string[][] = []
  for (const name of COMMON_FIELD_NAMES) (out[name.length] ??= []).push(name)
  return out
})()

/** Whether `bytes` spell `name` (lowercase ASCII) in any case of its letters. */
function spells (bytes: Buffer, name: string): boolean {
  for (let j = 0; j < name.length; j++) {
    const c = name.charCodeAt(j)
    const b = bytes[j]
    // Only ASCII letters have another case that lower-cases to them in latin1.
    if (b !== c && (c < 97 || c > 122 || b !== c - 32)) return false
  }
  return true
}

/** The field name `bytes` spell, lower-cased: the same string as `bytes.toString('latin1').toLowerCase()`. */
export function fieldNameOf (bytes: Buffer): string {
  const candidates = BY_LENGTH[bytes.length]
  if (candidates !== undefined) {
    for (let i = 0; i < candidates.length; i++) if (spells(bytes, candidates[i])) return candidates[i]
  }
  return bytes.toString('latin1').toLowerCase()
}
