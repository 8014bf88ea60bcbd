import type { IncomingHttpHeaders } from 'node:http'
import type { WafAction, WafMode } from '../context.js'
import type { LogRecord, RecordProducer, RecordSource } from '../log/types.js'
import { kSource } from '../log/types.js'
import { asText } from './escape.js'
import { jsonString, jsonText } from './json-text.js'
import { pathOf } from './request-parts.js'
import { REDACTED } from './variables.js'

/**
 * The access record (DESIGN.md "Wire formats: access", Kong tcp-log style), built two ways from
 * the same source: as an object for filters, listeners and `condition`, and straight into its
 * JSON line for the default filter, which is the hot path. The two are kept equal byte for byte
 * (a property test checks `accessJson(src, w) === jsonLine(buildAccessRecord(src, w))`).
 *
 * Header values are text: bytes that form valid UTF-8 are decoded, other bytes stay the latin1
 * characters U+0080–U+00FF (lossless). Redacted headers read `REDACTED`.
 */

export type HeaderMap = Record<string, string | string[]>

export interface AccessRecord extends LogRecord {
  type: 'access'
  id: string
  /** Epoch ms when the request arrived. */
  started_at: number
  /** The Host header without port, lowercased. */
  host: string
  client_ip: string
  client_port: number
  request: {
    method: string
    /** The request target as received. */
    uri: string
    path: string
    /** The query string, without `?`; empty when there is none. */
    args: string
    http_version: string
    headers: HeaderMap
    /** Request line, headers and body, as nginx `$request_length`. */
    size: number
  }
  response: {
    status: number
    headers: HeaderMap
    /** Status line, headers and body, as nginx `$bytes_sent`. */
    size: number
  }
  upstream: { addr: string, status: number, response_time: number } | null
  /** ms: the whole request, the upstream's part, the rule check's part. */
  latencies: { request: number, proxy: number, waf: number }
  waf: { mode: WafMode, action: WafAction, attacks: number, bot: boolean, cc: boolean }
  /** The cluster worker id, or 0. */
  worker: number
  /** Only for a request the HTTP parser refused: the parser's error code. */
  error?: string
  [kSource]?: RecordSource
}

/** ms rounded to µs. */
export function roundMs (ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms * 1000) / 1000 : 0
}

function requestHeaders (headers: IncomingHttpHeaders, redact: ReadonlySet<string>): HeaderMap {
  const out: HeaderMap = Object.create(null) as HeaderMap
  for (const k in headers) {
    const v = headers[k]
    if (v === undefined) continue
    out[k] = redact.has(k) ? REDACTED : typeof v === 'string' ? asText(v) : v.map(asText)
  }
  return out
}

/**
 * The response headers as they went out: parsed from the header block Node wrote (Fastify sends
 * with `writeHead`, whose headers `getHeaders()` does not hold). Names lowercased; a name sent
 * more than once (Set-Cookie) gives an array.
 */
export function responseHeaders (block: string | null | undefined, redact: ReadonlySet<string>): HeaderMap {
  const out: HeaderMap = Object.create(null) as HeaderMap
  if (typeof block !== 'string') return out
  let at = block.indexOf('\r\n')
  while (at !== -1) {
    const start = at + 2
    const end = block.indexOf('\r\n', start)
    if (end === -1 || end === start) break
    const colon = block.indexOf(':', start)
    if (colon !== -1 && colon < end) {
      const name = block.slice(start, colon).toLowerCase()
      let v = colon + 1
      while (v < end && (block.charCodeAt(v) === 32 || block.charCodeAt(v) === 9)) v++
      if (redact.has(name)) {
        out[name] = REDACTED
      } else {
        const value = asText(block.slice(v, end))
        const old = out[name]
        out[name] = old === undefined ? value : Array.isArray(old) ? [...old, value] : [old, value]
      }
    }
    at = end
  }
  return out
}

function headerBlock (src: RecordSource): string | null | undefined {
  return src.res === undefined ? undefined : (src.res as { _header?: string | null })._header
}

function argsPart (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? '' : url.slice(q + 1)
}

export function buildAccessRecord (src: RecordSource, worker: number): AccessRecord {
  const { req, ctx } = src
  const url = req.url ?? ''
  const up = ctx.upstream
  const rec: AccessRecord = {
    type: 'access',
    id: ctx.id,
    started_at: ctx.startedAt,
    host: asText(ctx.domain),
    client_ip: src.clientIp,
    client_port: src.clientPort,
    request: {
      method: req.method ?? '',
      uri: asText(url),
      path: asText(pathOf(url)),
      args: asText(argsPart(url)),
      http_version: req.httpVersion,
      headers: requestHeaders(req.headers, src.redact),
      size: ctx.bytesIn
    },
    response: {
      status: src.status,
      headers: responseHeaders(headerBlock(src), src.redact),
      size: ctx.bytesOut
    },
    upstream: up === undefined ? null : { addr: up.addr, status: up.status, response_time: roundMs(up.durationMs) },
    latencies: { request: roundMs(src.requestMs), proxy: up === undefined ? 0 : roundMs(up.durationMs), waf: roundMs(ctx.wafMs) },
    waf: { mode: ctx.policy.mode, action: ctx.action, attacks: ctx.attacks.length, bot: ctx.bot, cc: ctx.cc },
    worker
  }
  if (src.error !== undefined) rec.error = src.error
  rec[kSource] = src
  return rec
}

function num (n: number): string {
  return Number.isFinite(n) ? String(n) : 'null'
}

const REDACTED_JSON = '"' + REDACTED + '"'

/**
 * Header names here are HTTP tokens (Node's parser and `setHeader` allow nothing else, and the
 * parser-refusal stand-in keeps only tokens), which JSON never escapes: `"` + name + `"` is
 * their JSON. `raw` values are byte strings (written as their text); others are text already.
 */
function headersJson (headers: HeaderMap | IncomingHttpHeaders, redact: ReadonlySet<string> | undefined, raw: boolean): string {
  let out = '{'
  let first = true
  for (const k in headers) {
    const v = headers[k]
    if (v === undefined) continue
    out += (first ? '"' : ',"') + k + '":'
    first = false
    if (redact !== undefined && redact.has(k)) {
      out += REDACTED_JSON
    } else if (typeof v === 'string') {
      out += raw ? jsonText(v) : jsonString(v)
    } else {
      out += '['
      for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + (raw ? jsonText(v[i]) : jsonString(v[i]))
      out += ']'
    }
  }
  return out + '}'
}

/** Scratch for `responseHeadersJson`, reused: the function is synchronous and calls no user code. */
const names: string[] = []
const valueStarts: number[] = []
const valueEnds: number[] = []

function isIndexLike (name: string): boolean {
  const c = name.charCodeAt(0)
  return c >= 48 && c <= 57
}

/**
 * Response header names most responses carry, lowercased. Node writes its own with capitals
 * (`Date`, `Connection`, `Keep-Alive`): matching them in place saves a slice and a lowercase copy
 * per header, and gives strings whose hash is already known to the redaction set.
 */
const COMMON_NAMES: ReadonlyArray<readonly string[]> = (() => {
  const byLength: string[][] = []
  for (const name of ['content-type', 'content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding',
    'cache-control', 'etag', 'last-modified', 'vary', 'server', 'location', 'set-cookie', 'content-encoding',
    'x-request-id', 'access-control-allow-origin', 'x-powered-by', 'expires', 'pragma', 'accept-ranges']) {
    (byLength[name.length] ??= []).push(name)
  }
  return byLength
})()

/** Whether `block` holds `lower` at `start`, ignoring ASCII case. */
function sameNameAt (block: string, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = block.charCodeAt(start + i)
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== lower.charCodeAt(i)) return false
  }
  return true
}

/** `block.slice(start, end)` lowercased (ASCII letters; as `toLowerCase` for token names). */
function lowerName (block: string, start: number, end: number): string {
  const common = COMMON_NAMES[end - start]
  if (common !== undefined) {
    for (let k = 0; k < common.length; k++) if (sameNameAt(block, start, common[k])) return common[k]
  }
  for (let i = start; i < end; i++) {
    const c = block.charCodeAt(i)
    if (c >= 65 && c <= 90) return block.slice(start, end).toLowerCase()
  }
  return block.slice(start, end)
}

/**
 * The JSON of `responseHeaders(block, redact)`, written as the block is read. A block with a
 * repeated name (which makes an array) or a name that looks like an array index (which objects
 * order first) takes the object path, so the output stays exactly the object's JSON.
 */
function responseHeadersJson (block: string | null | undefined, redact: ReadonlySet<string>): string {
  if (typeof block !== 'string') return '{}'
  let n = 0
  let at = block.indexOf('\r\n')
  while (at !== -1) {
    const start = at + 2
    const end = block.indexOf('\r\n', start)
    if (end === -1 || end === start) break
    const colon = block.indexOf(':', start)
    if (colon !== -1 && colon < end) {
      const name = lowerName(block, start, colon)
      if (isIndexLike(name)) return headersJson(responseHeaders(block, redact), undefined, false)
      for (let i = 0; i < n; i++) if (names[i] === name) return headersJson(responseHeaders(block, redact), undefined, false)
      let v = colon + 1
      while (v < end && (block.charCodeAt(v) === 32 || block.charCodeAt(v) === 9)) v++
      names[n] = name
      valueStarts[n] = v
      valueEnds[n] = end
      n++
    }
    at = end
  }
  let out = '{'
  for (let i = 0; i < n; i++) {
    const name = names[i]
    out += (i === 0 ? '"' : ',"') + name + '":' + (redact.has(name) ? REDACTED_JSON : jsonText(block.slice(valueStarts[i], valueEnds[i])))
  }
  return out + '}'
}

/** The JSON line of `buildAccessRecord(src, worker)`, written without building the object. */
export function accessJson (src: RecordSource, worker: number): string {
  const { req, ctx } = src
  const url = req.url ?? ''
  const q = url.indexOf('?')
  const up = ctx.upstream
  const proxy = up === undefined ? '0' : num(roundMs(up.durationMs))
  const uri = jsonText(url)
  return '{"type":"access","id":' + jsonString(ctx.id) +
    ',"started_at":' + num(ctx.startedAt) +
    ',"host":' + jsonText(ctx.domain) +
    ',"client_ip":' + jsonString(src.clientIp) +
    ',"client_port":' + num(src.clientPort) +
    ',"request":{"method":' + jsonString(req.method ?? '') +
    ',"uri":' + uri +
    ',"path":' + (q === -1 ? uri + ',"args":""' : jsonText(url.slice(0, q)) + ',"args":' + jsonText(url.slice(q + 1))) +
    ',"http_version":' + jsonString(req.httpVersion) +
    ',"headers":' + headersJson(req.headers, src.redact, true) +
    ',"size":' + num(ctx.bytesIn) +
    '},"response":{"status":' + num(src.status) +
    ',"headers":' + responseHeadersJson(headerBlock(src), src.redact) +
    ',"size":' + num(ctx.bytesOut) +
    '},"upstream":' + (up === undefined
    ? 'null'
    : '{"addr":' + jsonString(up.addr) + ',"status":' + num(up.status) + ',"response_time":' + proxy + '}') +
    ',"latencies":{"request":' + num(roundMs(src.requestMs)) +
    ',"proxy":' + proxy +
    ',"waf":' + num(roundMs(ctx.wafMs)) +
    '},"waf":{"mode":' + jsonString(ctx.policy.mode) +
    ',"action":' + jsonString(ctx.action) +
    ',"attacks":' + String(ctx.attacks.length) +
    ',"bot":' + (ctx.bot ? 'true' : 'false') +
    ',"cc":' + (ctx.cc ? 'true' : 'false') +
    '},"worker":' + num(worker) +
    (src.error === undefined ? '}' : ',"error":' + jsonString(src.error) + '}')
}

/** The access stream's producer for one worker id. */
export function accessProducer (worker: number): RecordProducer<AccessRecord> {
  return {
    build: src => buildAccessRecord(src, worker),
    json: src => accessJson(src, worker)
  }
}
