import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { WafContext } from '../lifecycle/context.js'
import type { ClientErrorInfo } from '../lifecycle/participant.js'
import type { RecordSource } from './record-source.js'
import type { SourceRequest } from '../source-request.js'
import { connectionSerial, requestIndex, wasPipelined } from './connection.js'
import { plainAddress } from './request-parts.js'
import { sourceRequestOf } from '../http2.js'

/** The status nginx logs for a request whose client went away before the response began. */
export const CLIENT_CLOSED = 499

/**
 * The source of an access record for a request that ended (or was aborted): the facts every
 * writer must agree on are fixed here, once.
 */
export function requestSource (
  req: IncomingMessage,
  res: ServerResponse,
  ctx: WafContext,
  ip: string | undefined,
  redact: ReadonlySet<string>,
  now: number = Date.now()
): RecordSource {
  const source = sourceRequestOf(req)
  return {
    req: source,
    res,
    ctx,
    status: res.headersSent ? res.statusCode : CLIENT_CLOSED,
    endedAt: now,
    requestMs: performance.now() - ctx.startedHr,
    clientIp: plainAddress(ip ?? source.socket?.remoteAddress) ?? '',
    clientPort: source.socket?.remotePort ?? 0,
    redact,
    connection: connectionSerial(req),
    connectionRequests: requestIndex(req),
    pipelined: wasPipelined(req)
  }
}

function isTokenChar (c: number): boolean {
  // RFC 9110 tchar
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ||
    c === 33 || (c >= 35 && c <= 39) || c === 42 || c === 43 || c === 45 || c === 46 || c === 94 || c === 95 || c === 96 || c === 124 || c === 126
}

function isToken (s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false
  return true
}

/**
 * A stand-in request parsed from the bytes of a request the HTTP parser refused: the request line
 * when it has the form `METHOD SP target SP HTTP/x.y`, and the header lines that read as
 * `name: value` with a token name, until the blank line or the end of what was received.
 */
export function parseRefusedRequest (raw: Buffer | undefined, remoteAddress: string | undefined, remotePort: number | undefined): SourceRequest {
  const headers: IncomingHttpHeaders = Object.create(null) as IncomingHttpHeaders
  const req: SourceRequest = { method: undefined, url: undefined, httpVersion: '', headers, socket: { remoteAddress, remotePort } }
  if (raw === undefined || raw.length === 0) return req
  const head = raw.toString('latin1')
  let eol = head.indexOf('\n')
  const first = (eol === -1 ? head : head.slice(0, eol)).replace(/\r$/, '')
  const parts = first.split(' ')
  if (parts.length === 3 && isToken(parts[0]) && parts[1].length > 0 && /^HTTP\/\d\.\d$/.test(parts[2])) {
    req.method = parts[0]
    req.url = parts[1]
    req.httpVersion = parts[2].slice(5)
  }
  while (eol !== -1) {
    const start = eol + 1
    eol = head.indexOf('\n', start)
    const line = (eol === -1 ? head.slice(start) : head.slice(start, eol)).replace(/\r$/, '')
    if (line.length === 0) break
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).toLowerCase()
    if (!isToken(name)) continue
    const value = line.slice(colon + 1).trim()
    const old = headers[name]
    if (old === undefined) headers[name] = value
    else if (typeof old === 'string') headers[name] = old + (name === 'cookie' ? '; ' : ', ') + value
  }
  return req
}

/** The source of an access record for a request the HTTP parser refused. */
export function refusedSource (info: ClientErrorInfo, redact: ReadonlySet<string>, now: number = Date.now()): RecordSource {
  const req = parseRefusedRequest(info.rawPacket, info.remoteAddress, info.remotePort)
  return {
    req,
    res: undefined,
    ctx: info.ctx,
    status: info.status,
    endedAt: now,
    requestMs: performance.now() - info.ctx.startedHr,
    clientIp: plainAddress(info.remoteAddress) ?? '',
    clientPort: info.remotePort ?? 0,
    redact,
    connection: 0,
    connectionRequests: 1,
    pipelined: false,
    error: info.code
  }
}
