import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChannelDefaults, ChannelOptions, LookupFunction, RetryOptions, TlsOptions } from './types.js'

/**
 * Turns a channel spec (a URL, or an object) into a checked, complete config, once at register
 * time. Every error names the channel and the option, so a typo in a config file is found at start.
 */

export type Endpoint =
  | { kind: 'tcp' | 'tls' | 'udp', host: string, port: number }
  | { kind: 'unix' | 'file', path: string }
  | { kind: 'stdout' }

export type EndpointKind = Endpoint['kind']

export interface ResolvedRetry {
  initialDelay: number
  maxDelay: number
  factor: number
  jitter: number
}

export interface ResolvedTls {
  servername?: string
  ca?: string | Buffer | Array<string | Buffer>
  cert?: string | Buffer | Array<string | Buffer>
  key?: string | Buffer | Array<string | Buffer>
  rejectUnauthorized: boolean
}

export interface ChannelConfig {
  name: string
  url: string
  endpoint: Endpoint
  flushLimit: number
  flushInterval: number
  dropLimit: number
  timeout: number
  keepalive: number
  noDelay: boolean
  retry: ResolvedRetry
  tls: ResolvedTls | undefined
  maxDatagram: number
  gzip: number | undefined
  rotate: { interval: number | undefined, size: number | undefined } | undefined
  lookup: LookupFunction | undefined
}

export const DEFAULTS = {
  flushLimit: 4096,
  flushInterval: 1000,
  dropLimit: 8 * 1024 * 1024,
  timeout: 10000,
  keepalive: 60000,
  maxDatagram: 1472,
  retry: { initialDelay: 100, maxDelay: 10000, factor: 2, jitter: 0.2 }
} as const

/**
 * The largest UDP payload over IPv6 (65507 over IPv4: a larger datagram to an IPv4 collector is
 * refused by the kernel with EMSGSIZE, counted as an error and the line as `oversize`).
 */
const MAX_UDP_PAYLOAD = 65527
/** Node timers overflow past this many ms. */
const MAX_MS = 2 ** 31 - 1

const OPTION_KINDS: Record<keyof ChannelOptions, readonly EndpointKind[] | 'all'> = {
  url: 'all',
  flushLimit: 'all',
  flushInterval: 'all',
  dropLimit: 'all',
  timeout: ['tcp', 'tls', 'unix'],
  keepalive: ['tcp', 'tls', 'unix'],
  noDelay: ['tcp', 'tls'],
  retry: 'all',
  tls: ['tcp', 'tls'],
  maxDatagram: ['udp'],
  gzip: ['file'],
  rotate: ['file'],
  lookup: ['tcp', 'tls', 'udp']
}

const TLS_KEYS = new Set(['servername', 'ca', 'cert', 'key', 'rejectUnauthorized'])
const RETRY_KEYS = new Set(['initialDelay', 'maxDelay', 'factor', 'jitter'])
const ROTATE_KEYS = new Set(['interval', 'size'])

class Checker {
  constructor (readonly where: string) {}

  fail (option: string, must: string, got?: unknown): never {
    const shown = arguments.length > 2 ? `, got ${show(got)}` : ''
    throw new TypeError(`${this.where}: option "${option}" ${must}${shown}`)
  }

  int (option: string, v: unknown, min: number, max: number, unit: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(option, `must be a whole number of ${unit} from ${min} to ${max}`, v)
    }
    return v
  }

  num (option: string, v: unknown, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      this.fail(option, `must be a number from ${min} to ${max}`, v)
    }
    return v
  }

  object (option: string, v: unknown, keys: Set<string>): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(option, 'must be an object', v)
    for (const k of Object.keys(v)) {
      if (!keys.has(k)) this.fail(`${option}.${k}`, `is not an option; known: ${[...keys].join(', ')}`)
    }
    return v as Record<string, unknown>
  }
}

function show (v: unknown): string {
  if (typeof v === 'function') return 'a function'
  if (Buffer.isBuffer(v)) return 'a Buffer'
  try {
    const s = JSON.stringify(v)
    return s === undefined ? String(v) : (s.length > 80 ? s.slice(0, 77) + '...' : s)
  } catch {
    return Object.prototype.toString.call(v)
  }
}

/** Parses a channel URL. Relative `file:` and `unix:` paths resolve against the working directory. */
export function parseEndpoint (url: unknown, c: Checker): Endpoint {
  if (typeof url !== 'string' || url.length === 0) c.fail('url', 'must be a non-empty string such as "tcp://127.0.0.1:5170"', url)
  const scheme = /^([a-z]+):/i.exec(url)?.[1]?.toLowerCase()
  switch (scheme) {
    case 'stdout':
      if (url !== 'stdout:' && url !== 'stdout://') c.fail('url', 'must be exactly "stdout:"', url)
      return { kind: 'stdout' }
    case 'file':
    case 'unix':
      return { kind: scheme, path: localPath(url, scheme, c) }
    case 'tcp':
    case 'tls':
    case 'udp': {
      let u: URL
      try {
        u = new URL(url)
      } catch {
        return c.fail('url', `is not a valid URL; expected ${scheme}://host:port`, url)
      }
      const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
      if (host.length === 0) c.fail('url', `needs a host: ${scheme}://host:port`, url)
      if (u.port === '') c.fail('url', `needs a port: ${scheme}://host:port`, url)
      if ((u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '') {
        c.fail('url', `must be ${scheme}://host:port with nothing after the port`, url)
      }
      return { kind: scheme, host, port: Number(u.port) }
    }
    default:
      return c.fail('url', 'must start with tcp://, tls://, udp://, unix://, file:// or be stdout:', url)
  }
}

function localPath (url: string, scheme: 'file' | 'unix', c: Checker): string {
  let p: string
  if (url.startsWith(`${scheme}://`)) {
    if (scheme === 'file') {
      try {
        p = fileURLToPath(url)
      } catch (err) {
        return c.fail('url', `must be file:///absolute/path (${(err as Error).message})`, url)
      }
    } else {
      const rest = url.slice('unix://'.length)
      if (!rest.startsWith('/')) c.fail('url', 'must be unix:///absolute/path or unix:relative/path', url)
      p = decodeURIComponent(rest)
    }
  } else {
    p = path.resolve(decodeURIComponent(url.slice(scheme.length + 1)))
  }
  if (p.length === 0 || p.endsWith('/') || p.includes('\0')) c.fail('url', 'must name a file', url)
  return p
}

function pem (c: Checker, option: string, v: unknown): string | Buffer | Array<string | Buffer> {
  const ok = (x: unknown): boolean => (typeof x === 'string' && x.length > 0) || Buffer.isBuffer(x)
  if (ok(v) || (Array.isArray(v) && v.length > 0 && v.every(ok))) return v as string | Buffer | Array<string | Buffer>
  return c.fail(option, 'must be PEM text, a Buffer, or a non-empty array of them', v)
}

function resolveTls (c: Checker, v: unknown): ResolvedTls | undefined {
  if (v === undefined || v === false) return undefined
  if (v === true) return { rejectUnauthorized: true }
  const o = c.object('tls', v, TLS_KEYS) as TlsOptions
  const out: ResolvedTls = { rejectUnauthorized: true }
  if (o.servername !== undefined) {
    if (typeof o.servername !== 'string' || o.servername.length === 0) c.fail('tls.servername', 'must be a non-empty host name', o.servername)
    out.servername = o.servername
  }
  if (o.ca !== undefined) out.ca = pem(c, 'tls.ca', o.ca)
  if (o.cert !== undefined) out.cert = pem(c, 'tls.cert', o.cert)
  if (o.key !== undefined) out.key = pem(c, 'tls.key', o.key)
  if ((out.cert === undefined) !== (out.key === undefined)) c.fail(out.cert === undefined ? 'tls.cert' : 'tls.key', 'must be given together with ' + (out.cert === undefined ? '"tls.key"' : '"tls.cert"'))
  if (o.rejectUnauthorized !== undefined) {
    if (typeof o.rejectUnauthorized !== 'boolean') c.fail('tls.rejectUnauthorized', 'must be true or false', o.rejectUnauthorized)
    out.rejectUnauthorized = o.rejectUnauthorized
  }
  return out
}

function resolveRetry (c: Checker, v: unknown): ResolvedRetry {
  const r: ResolvedRetry = { ...DEFAULTS.retry }
  if (v === undefined) return r
  const o = c.object('retry', v, RETRY_KEYS) as RetryOptions
  if (o.initialDelay !== undefined) r.initialDelay = c.int('retry.initialDelay', o.initialDelay, 1, MAX_MS, 'ms')
  if (o.maxDelay !== undefined) r.maxDelay = c.int('retry.maxDelay', o.maxDelay, 1, MAX_MS, 'ms')
  if (o.factor !== undefined) r.factor = c.num('retry.factor', o.factor, 1, 100)
  if (o.jitter !== undefined) r.jitter = c.num('retry.jitter', o.jitter, 0, 1)
  if (r.maxDelay < r.initialDelay) c.fail('retry.maxDelay', `must be >= retry.initialDelay (${r.initialDelay})`, r.maxDelay)
  return r
}

/**
 * The complete config of channel `name`. `spec` is its URL or options object; `defaults` (the
 * transport's) sit under the channel's own options, nested objects merged key by key.
 */
export function resolveChannel (name: string, spec: unknown, defaults: ChannelDefaults = {}, owner = 'waf-socket'): ChannelConfig {
  const c = new Checker(`${owner}: channel ${JSON.stringify(name)}`)
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${owner}: channel names must be non-empty strings`)
  let own: Record<string, unknown>
  if (typeof spec === 'string') own = { url: spec }
  else if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) own = spec as Record<string, unknown>
  else return c.fail('url', 'must be given: a channel is a URL string or an object with a "url"', spec)

  const endpoint = parseEndpoint(own.url, c)
  for (const key of Object.keys(own)) {
    const kinds = OPTION_KINDS[key as keyof ChannelOptions]
    if (kinds === undefined) c.fail(key, `is not a channel option; known: ${Object.keys(OPTION_KINDS).join(', ')}`)
    if (kinds !== 'all' && !kinds.includes(endpoint.kind) && own[key] !== undefined) {
      c.fail(key, `applies to ${kinds.map(k => `${k}:`).join(' ')} channels only, not to ${endpoint.kind}:`)
    }
  }
  // Defaults apply where they make sense for this kind of channel; the channel's own options win.
  const pick = (key: keyof ChannelOptions): unknown => {
    if (own[key] !== undefined) return own[key]
    const kinds = OPTION_KINDS[key]
    if (kinds !== 'all' && !kinds.includes(endpoint.kind)) return undefined
    return (defaults as Record<string, unknown>)[key]
  }
  const merged = (key: 'retry' | 'rotate'): unknown => {
    const o = own[key]
    const d = o === undefined ? pick(key) : (defaults as Record<string, unknown>)[key]
    if (o === undefined) return d
    if (d !== null && typeof d === 'object' && o !== null && typeof o === 'object') return { ...d, ...o }
    return o
  }

  const flushInterval = pick('flushInterval') === undefined ? DEFAULTS.flushInterval : c.int('flushInterval', pick('flushInterval'), 1, MAX_MS, 'ms')
  const dropLimit = pick('dropLimit') === undefined ? DEFAULTS.dropLimit : c.int('dropLimit', pick('dropLimit'), 1, 2 ** 31, 'bytes')
  // The default batch never exceeds a small dropLimit; an explicit one must fit in it.
  const flushLimit = pick('flushLimit') === undefined ? Math.min(DEFAULTS.flushLimit, dropLimit) : c.int('flushLimit', pick('flushLimit'), 0, 2 ** 30, 'bytes')
  if (flushLimit > dropLimit) c.fail('flushLimit', `must not exceed dropLimit (${dropLimit})`, flushLimit)
  const timeout = pick('timeout') === undefined ? DEFAULTS.timeout : c.int('timeout', pick('timeout'), 1, MAX_MS, 'ms')
  const keepalive = pick('keepalive') === undefined ? DEFAULTS.keepalive : c.int('keepalive', pick('keepalive'), 0, MAX_MS, 'ms')
  const noDelayOpt = pick('noDelay')
  if (noDelayOpt !== undefined && typeof noDelayOpt !== 'boolean') c.fail('noDelay', 'must be true or false', noDelayOpt)
  const noDelay = noDelayOpt === true
  const retry = resolveRetry(c, merged('retry'))

  let tlsOpts = resolveTls(c, pick('tls'))
  if (endpoint.kind === 'tls' && own.tls === false) c.fail('tls', 'cannot be false on a tls:// channel; use tcp:// for plain TCP')
  if (endpoint.kind === 'tls' && tlsOpts === undefined) tlsOpts = { rejectUnauthorized: true }

  let maxDatagram: number = DEFAULTS.maxDatagram
  if (pick('maxDatagram') !== undefined) maxDatagram = c.int('maxDatagram', pick('maxDatagram'), 2, MAX_UDP_PAYLOAD, 'bytes')
  if (endpoint.kind === 'udp' && maxDatagram > dropLimit) c.fail('maxDatagram', `must not exceed dropLimit (${dropLimit})`, maxDatagram)

  const gzipLevel = pick('gzip')
  const gzip = gzipLevel === undefined ? undefined : c.int('gzip', gzipLevel, 1, 9, 'levels (as nginx gzip=)')

  let rotate: ChannelConfig['rotate']
  const rot = merged('rotate')
  if (rot !== undefined) {
    const o = c.object('rotate', rot, ROTATE_KEYS)
    const interval = o.interval === undefined ? undefined : c.int('rotate.interval', o.interval, 1000, 366 * 86400000, 'ms')
    const size = o.size === undefined ? undefined : c.int('rotate.size', o.size, 1, Number.MAX_SAFE_INTEGER, 'bytes')
    if (interval === undefined && size === undefined) c.fail('rotate', 'needs "interval" (ms) or "size" (bytes)')
    rotate = { interval, size }
  }

  const lookup = pick('lookup')
  if (lookup !== undefined && typeof lookup !== 'function') c.fail('lookup', 'must be a function like dns.lookup', lookup)

  return {
    name,
    url: own.url as string,
    endpoint: endpoint.kind === 'tcp' && tlsOpts !== undefined ? { ...endpoint, kind: 'tls' } : endpoint,
    flushLimit,
    flushInterval,
    dropLimit,
    timeout,
    keepalive,
    noDelay,
    retry,
    tls: tlsOpts,
    maxDatagram,
    gzip,
    rotate,
    lookup: lookup as LookupFunction | undefined
  }
}

/** Checks the transport-wide defaults once, with errors that say they are defaults. */
export function checkDefaults (defaults: unknown, owner = 'waf-socket'): ChannelDefaults {
  if (defaults === undefined) return {}
  if (defaults === null || typeof defaults !== 'object' || Array.isArray(defaults)) {
    throw new TypeError(`${owner}: option "defaults" must be an object of channel options`)
  }
  const d = defaults as Record<string, unknown>
  if ('url' in d) throw new TypeError(`${owner}: option "defaults" cannot hold a "url"`)
  // Check every default against the channel kinds it applies to, through a channel of that kind.
  const probes: Array<[string, string]> = [['tcp', 'tcp://127.0.0.1:1'], ['udp', 'udp://127.0.0.1:1'], ['file', 'file:///dev/null'], ['stdout', 'stdout:']]
  for (const [kind, url] of probes) {
    const own: Record<string, unknown> = { url }
    for (const [k, v] of Object.entries(d)) {
      const kinds = OPTION_KINDS[k as keyof ChannelOptions]
      if (kinds === undefined) throw new TypeError(`${owner}: option "defaults.${k}" is not a channel option; known: ${Object.keys(OPTION_KINDS).filter(x => x !== 'url').join(', ')}`)
      if (kinds === 'all' || kinds.includes(kind as EndpointKind)) own[k] = v
    }
    resolveChannel('(defaults)', own, {}, owner)
  }
  return d as ChannelDefaults
}

/** The connection-level part of a config: channels with equal keys share one connection. */
export function connectionKey (cfg: ChannelConfig): string {
  const e = cfg.endpoint
  const where = 'path' in e ? `${e.kind}:${e.path}` : 'host' in e ? `${e.kind}://${e.host}:${e.port}` : e.kind
  return JSON.stringify([where, cfg.timeout, cfg.keepalive, cfg.noDelay, cfg.retry, cfg.tls ?? null], (_k, v: unknown) =>
    Buffer.isBuffer(v) ? v.toString('base64') : (v as { type?: string, data?: unknown })?.type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('base64') : v
  )
}
