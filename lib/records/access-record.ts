import type { IncomingHttpHeaders } from 'node:http'
import type { WafAction, WafMode } from '../lifecycle/context.js'
import type { LogRecord, RecordProducer, RecordSource } from '../log/types.js'
import { kSource } from '../log/types.js'
import { asText } from '../text/escape.js'
import { accessJson } from './access-json.js'
import { argsPart, headerBlock, responseHeaders, roundMs } from './record-parts.js'
import type { HeaderMap } from './record-parts.js'
import { pathOf } from '../access/request-parts.js'
import { REDACTED } from '../redaction.js'

export { accessJson } from './access-json.js'
export { responseHeaders, roundMs } from './record-parts.js'
export type { HeaderMap } from './record-parts.js'

/**
 * The access record (DESIGN.md "Wire formats: access", Kong tcp-log style), built two ways from
 * the same source: as an object for filters, listeners and `condition`, and straight into its
 * JSON line for the default filter, which is the hot path. The two are kept equal byte for byte
 * (a property test checks `accessJson(src, w, n) === jsonLine(buildAccessRecord(src, w, n))`).
 *
 * Header values are text: bytes that form valid UTF-8 are decoded, other bytes stay the latin1
 * characters U+0080–U+00FF (lossless). Redacted headers read `REDACTED`.
 */

export interface AccessRecord {
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
  /** The machine (the host name unless configured). */
  node: string
  /** Only for a request the HTTP parser refused: the parser's error code. */
  error?: string
  [kSource]?: RecordSource
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

export function buildAccessRecord (src: RecordSource, worker: number, node: string): AccessRecord {
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
    worker,
    node
  }
  if (src.error !== undefined) rec.error = src.error
  rec[kSource] = src
  return rec
}

/** The access stream's producer for one worker of one machine. */
export function accessProducer (worker: number, node: string): RecordProducer<AccessRecord> {
  return {
    build: src => buildAccessRecord(src, worker, node),
    json: src => accessJson(src, worker, node)
  }
}
