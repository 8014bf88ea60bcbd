import { isIP } from 'node:net'
import { resolve } from 'node:path'
import type { Obj, Reader } from './config-reader.js'
import type { ForwardedHeaderSettings } from '../lib/proxy/forwarded.js'

/**
 * The gateway's settings as a production edge (TLS, HTTP/2, health, trusted proxies, what the
 * upstream receives, body limits, per-domain rate limits, the deny answer), read off the YAML
 * with the same `Reader` as the rest of the configuration, so errors name the setting alike.
 */

/** PEM file paths, resolved (tls.ts loads them). */
export interface CertificateFiles {
  cert: string
  key: string
  /** Certificates sent after `cert` to complete its chain (intermediates). */
  ca?: string | undefined
}

export type TrustProxy = boolean | number | string[]

export interface DenyResponse {
  /** The status of a rule deny (CC stays 429, the gateway's own errors 502/504). */
  status: number | undefined
  contentType: string
  /** A template: `{id}`, `{status}` and `{reason}` are replaced; nothing else is read in it. */
  body: string
}

export interface EdgeConfig {
  /** `listen.tls`: HTTPS with these files (paths resolved). */
  tls: CertificateFiles | undefined
  /** `listen.http2`: HTTP/2 (with TLS: through ALPN, HTTP/1.1 still served; without: h2c only). */
  http2: boolean
  /** `drainDelay`: ms between SIGTERM and the close, serving all along, the health endpoint answering 503. */
  health: { path: string, drainDelay: number } | undefined
  trustProxy: TrustProxy
  forwardedHeaders: ForwardedHeaderSettings
  preserveHost: boolean
  /** Bytes; 0 for no limit. */
  bodyLimit: number
  deny: DenyResponse | undefined
}

export interface DomainEdgeConfig {
  tls: CertificateFiles | undefined
  preserveHost: boolean | undefined
  bodyLimit: number | undefined
  rateLimit: { max: number | undefined, timeWindow: number | undefined } | undefined
}

export const EDGE_TOP_KEYS = ['health', 'trustProxy', 'forwardedHeaders', 'preserveHost', 'bodyLimit', 'deny'] as const
export const EDGE_LISTEN_KEYS = ['tls', 'http2'] as const
export const EDGE_DOMAIN_KEYS = ['tls', 'preserveHost', 'bodyLimit', 'rateLimit'] as const

/** Fastify's default body limit, nginx's `client_max_body_size` is 1m: the gateway takes nginx's. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024

const SIZE = /^(\d+)\s*([kmg]?)$/i
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 * 1024, g: 1024 * 1024 * 1024 }

/** A size as nginx writes it (`512k`, `10m`, `1g`) or a number of bytes; 0 is no limit. */
function size (r: Reader, v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined
  const m = typeof v === 'number' ? (Number.isInteger(v) && v >= 0 ? [String(v), String(v), ''] : null) : typeof v === 'string' ? SIZE.exec(v.trim()) : null
  const n = m === null ? NaN : Number(m[1]) * UNITS[m[2].toLowerCase()]
  if (!Number.isSafeInteger(n)) return r.fail(path, 'a size in bytes, or with k, m or g (as nginx: "10m"); 0 for no limit', v)
  return n
}

function certificateFiles (r: Reader, v: unknown, path: string, base: string, withCa: boolean): CertificateFiles | undefined {
  if (v === undefined || v === null) return undefined
  const o = r.obj(v, path)
  r.keys(o, path, withCa ? ['cert', 'key', 'ca'] : ['cert', 'key'])
  const cert = r.str(o.cert, `${path}.cert`) ?? r.fail(`${path}.cert`, 'the path of a PEM certificate file', o.cert)
  const key = r.str(o.key, `${path}.key`) ?? r.fail(`${path}.key`, 'the path of a PEM private key file', o.key)
  const ca = withCa ? r.str(o.ca, `${path}.ca`) : undefined
  return { cert: resolve(base, cert), key: resolve(base, key), ...(ca === undefined ? {} : { ca: resolve(base, ca) }) }
}

function isCidr (s: string): boolean {
  const slash = s.indexOf('/')
  const addr = slash === -1 ? s : s.slice(0, slash)
  const family = isIP(addr)
  if (family === 0) return false
  if (slash === -1) return true
  const bits = s.slice(slash + 1)
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)
}

/** proxy-addr's names for address ranges, which Fastify's `trustProxy` takes too. */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal'])

function trustProxy (r: Reader, v: unknown): TrustProxy {
  const expected = 'true, false, a hop count, or a list of addresses, CIDRs or loopback/linklocal/uniquelocal'
  if (v === undefined || v === null) return false
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return r.int(v, 'trustProxy', 1, 64) as number
  const list = typeof v === 'string' ? v.split(',').map(s => s.trim()) : v
  if (!Array.isArray(list) || list.length === 0) return r.fail('trustProxy', expected, v)
  for (const item of list) {
    if (typeof item !== 'string' || !(PROXY_RANGES.has(item) || isCidr(item))) return r.fail('trustProxy', expected, item)
  }
  return list as string[]
}

const FORWARDED_KEYS = ['xForwardedFor', 'xForwardedProto', 'xForwardedHost', 'xRealIp'] as const

/** The edge settings of the file; `base` is the folder relative paths are read from. */
export function readEdge (r: Reader, raw: Obj, listen: Obj, base: string): EdgeConfig {
  const health = r.obj(raw.health, 'health')
  r.keys(health, 'health', ['path', 'drainDelay'])
  const drainDelay = r.int(health.drainDelay, 'health.drainDelay', 0, 600_000) ?? 0
  const healthPath = r.str(health.path, 'health.path')
  if (healthPath !== undefined && !healthPath.startsWith('/')) r.fail('health.path', 'a path that starts with "/"', healthPath)

  const fwd = r.obj(raw.forwardedHeaders, 'forwardedHeaders')
  r.keys(fwd, 'forwardedHeaders', FORWARDED_KEYS)
  const forwardedHeaders = {} as ForwardedHeaderSettings
  for (const k of FORWARDED_KEYS) forwardedHeaders[k] = r.bool(fwd[k], `forwardedHeaders.${k}`) ?? true

  let deny: DenyResponse | undefined
  if (raw.deny !== undefined && raw.deny !== null) {
    const d = r.obj(raw.deny, 'deny')
    r.keys(d, 'deny', ['status', 'contentType', 'body'])
    deny = {
      status: r.int(d.status, 'deny.status', 400, 599),
      contentType: r.str(d.contentType, 'deny.contentType') ?? 'text/plain; charset=utf-8',
      body: typeof d.body === 'string' ? d.body : r.fail('deny.body', 'a string (a template: {id}, {status} and {reason} are replaced)', d.body)
    }
  }

  return {
    tls: certificateFiles(r, listen.tls, 'listen.tls', base, true),
    http2: r.bool(listen.http2, 'listen.http2') ?? false,
    health: healthPath === undefined ? undefined : { path: healthPath, drainDelay },
    trustProxy: trustProxy(r, raw.trustProxy),
    forwardedHeaders,
    preserveHost: r.bool(raw.preserveHost, 'preserveHost') ?? false,
    bodyLimit: size(r, raw.bodyLimit, 'bodyLimit') ?? DEFAULT_BODY_LIMIT,
    deny
  }
}

/** The edge settings of `domains.<name>` (`path`). */
export function readDomainEdge (r: Reader, d: Obj, path: string, base: string): DomainEdgeConfig {
  let rateLimit: DomainEdgeConfig['rateLimit']
  if (d.rateLimit !== undefined && d.rateLimit !== null) {
    const rl = r.obj(d.rateLimit, `${path}.rateLimit`)
    r.keys(rl, `${path}.rateLimit`, ['max', 'timeWindow'])
    rateLimit = {
      max: r.int(rl.max, `${path}.rateLimit.max`, 1, 1e9),
      timeWindow: r.int(rl.timeWindow, `${path}.rateLimit.timeWindow`, 1, 86_400_000)
    }
  }
  return {
    tls: certificateFiles(r, d.tls, `${path}.tls`, base, false),
    preserveHost: r.bool(d.preserveHost, `${path}.preserveHost`),
    bodyLimit: size(r, d.bodyLimit, `${path}.bodyLimit`),
    rateLimit
  }
}
