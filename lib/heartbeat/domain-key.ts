/**
 * Which table key a request's domain counts under. A Host header is client input: only names that
 * look like a host (a DNS name or an IP literal, at most 253 bytes) get a key of their own; the
 * rest share one bucket, so hostile values can neither grow the report without bound nor forge
 * graphite paths or JSON structure.
 */

/** Traffic of domains that arrived after the table was full. */
export const OTHER_DOMAIN = '_other'
/** Traffic whose Host was missing, too long, or not a host name. */
export const INVALID_DOMAIN = '_invalid'

/**
 * Distinct domains with series of their own in the Prometheus metrics (the rest count under
 * `_other`); the totals since start keep no more. Here, not in lib/metrics, which reads heartbeat
 * counters: so heartbeat/ does not import metrics/ back.
 */
export const METRIC_MAX_DOMAINS = 200

/** RFC 1035's limit for a name; IPv6 literals in brackets are far shorter. */
export const MAX_DOMAIN_LENGTH = 253

/**
 * Whether `domain` (already lowercased, port cut, as `domainOf` gives it) may have a key of its
 * own: 1..253 characters of `a-z 0-9 . - _`, or a bracketed IPv6 literal (`[` hex digits `:`
 * `.` `]`). A leading `_` is refused, which keeps the reserved `_other` / `_invalid` keys apart
 * from real names and keeps `__proto__` out of report objects.
 */
export function isCountableDomain (domain: string): boolean {
  const n = domain.length
  if (n === 0 || n > MAX_DOMAIN_LENGTH) return false
  const first = domain.charCodeAt(0)
  if (first === 95 /* _ */) return false
  if (first === 91 /* [ */) return isBracketedIPv6(domain)
  for (let i = 0; i < n; i++) {
    const c = domain.charCodeAt(i)
    const ok = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 45 || c === 95
    if (!ok) return false
  }
  return true
}

function isBracketedIPv6 (domain: string): boolean {
  const n = domain.length
  if (n < 4 || domain.charCodeAt(n - 1) !== 93 /* ] */) return false
  for (let i = 1; i < n - 1; i++) {
    const c = domain.charCodeAt(i)
    const ok = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || c === 58 || c === 46
    if (!ok) return false
  }
  return true
}
