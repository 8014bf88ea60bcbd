/**
 * The headers a reverse proxy adds for its upstream, as nginx operators set them:
 *
 *   proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;   # appended
 *   proxy_set_header X-Forwarded-Proto $scheme;
 *   proxy_set_header X-Forwarded-Host  $host;
 *   proxy_set_header X-Real-IP         $remote_addr;
 *   proxy_set_header Host              $http_host;                   # preserveHost
 *
 * Framework-free: it edits the header object a proxy is about to send (reply-from's
 * `rewriteRequestHeaders`), so other edits of that object (hop-by-hop stripping) compose with it.
 */

/** Which headers are set; each is on unless turned off. */
export interface ForwardedHeaderSettings {
  xForwardedFor: boolean
  xForwardedProto: boolean
  xForwardedHost: boolean
  xRealIp: boolean
}

export const ALL_FORWARDED_HEADERS: Readonly<ForwardedHeaderSettings> = Object.freeze({ xForwardedFor: true, xForwardedProto: true, xForwardedHost: true, xRealIp: true })

/** What the proxy knows of the request it forwards. */
export interface ForwardedFacts {
  /** The address of the peer that connected (nginx `$remote_addr` without realip): appended to X-Forwarded-For. */
  peerAddress: string | undefined
  /** The client as the proxy trusts it (through trusted proxies): X-Real-IP. */
  clientIp: string | undefined
  /** `http` or `https`, as the client (or a trusted proxy in front) spoke to the proxy. */
  proto: string
  /** The Host the request was for, port included: X-Forwarded-Host (behind a trusted proxy, the one it forwarded). */
  host: string | undefined
  /** The Host header the client sent (HTTP/2: `:authority`): what `preserveHost` passes on. */
  clientHost: string | undefined
}

export type OutgoingHeaders = Record<string, string | string[] | number | undefined>

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`) as the IPv4 address, as logs and upstreams expect. */
function plain (addr: string): string {
  return addr.startsWith('::ffff:') && addr.indexOf('.') !== -1 ? addr.slice(7) : addr
}

/** The client's X-Forwarded-For with `addr` appended; several header lines count as one list. */
export function appendForwardedFor (existing: string | string[] | number | undefined, addr: string): string {
  const prior = Array.isArray(existing) ? existing.join(', ') : existing === undefined ? '' : String(existing).trim()
  return prior.length === 0 ? addr : `${prior}, ${addr}`
}

/**
 * Sets the forwarded headers on `headers` (lowercase names, as Node and reply-from use) and,
 * with `preserveHost`, puts the client's Host back in place of the upstream's. Returns `headers`.
 */
export function applyForwardedHeaders<H extends OutgoingHeaders> (headers: H, facts: ForwardedFacts, settings: ForwardedHeaderSettings, preserveHost: boolean): H {
  const h = headers as OutgoingHeaders
  if (settings.xForwardedFor && facts.peerAddress !== undefined) {
    h['x-forwarded-for'] = appendForwardedFor(h['x-forwarded-for'], plain(facts.peerAddress))
  }
  if (settings.xForwardedProto) h['x-forwarded-proto'] = facts.proto
  if (settings.xForwardedHost && facts.host !== undefined) h['x-forwarded-host'] = facts.host
  if (settings.xRealIp && facts.clientIp !== undefined) h['x-real-ip'] = plain(facts.clientIp)
  if (preserveHost && facts.clientHost !== undefined) h.host = facts.clientHost
  return headers
}
