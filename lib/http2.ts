import { STATUS_CODES } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { SourceRequest, SourceSocket } from './source-request.js'

/**
 * HTTP/2 requests as the logs and the rule check read HTTP/1.1 ones. Node's compatibility layer
 * hands over `:method`, `:path`, `:scheme` and `:authority` among the headers, gives no `Host`
 * when the client sent only `:authority`, and its `socket` is a proxy to the session's socket
 * that reads nothing once the stream has closed (when the access record is written). httpd's
 * mod_http2 does what is done here: the pseudo-headers are not request headers, and `Host` is
 * set from `:authority` (RFC 9113 §8.3.1: `:authority` wins over a differing `Host`).
 *
 * HTTP/1.x requests pass through untouched, at no cost.
 */

/** What an HTTP/2 request looks like to the logs: headers without pseudo-headers, a socket snapshot. */
export interface Http2RequestView extends SourceRequest {
  method: string | undefined
  url: string | undefined
  /** Flat name, value… pairs as received, pseudo-headers left out, `Host` set from `:authority`. */
  rawHeaders: string[]
  headers: IncomingHttpHeaders
  /** The connection as it was when the request arrived. */
  socket: SourceSocket
}

const kView = Symbol('waf.http2View')

type ViewedRequest = IncomingMessage & { [kView]?: Http2RequestView }

function isPseudo (name: string): boolean {
  return name.charCodeAt(0) === 58 /* : */
}

function authorityOf (req: IncomingMessage): string | undefined {
  const a = req.headers[':authority']
  return typeof a === 'string' && a.length > 0 ? a : undefined
}

/** The Host a request names: `:authority` for HTTP/2 (`Host` without one), the `Host` header otherwise. */
export function requestHost (req: IncomingMessage): string | undefined {
  if (req.httpVersionMajor !== 2) return req.headers.host
  return authorityOf(req) ?? req.headers.host
}

function snapshotSocket (req: IncomingMessage): SourceSocket {
  const s = req.socket as (IncomingMessage['socket'] & { encrypted?: boolean }) | null
  if (s == null) return {}
  return {
    remoteAddress: s.remoteAddress,
    remotePort: s.remotePort,
    localAddress: s.localAddress,
    localPort: s.localPort,
    encrypted: s.encrypted === true
  }
}

function buildView (req: IncomingMessage): Http2RequestView {
  const authority = authorityOf(req)
  const raw = req.rawHeaders
  const rawHeaders: string[] = []
  let hostAt = -1
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]
    if (isPseudo(name)) continue
    if (name.length === 4 && name.toLowerCase() === 'host') {
      // One Host, the authority's value when there is one, where the client put it.
      if (hostAt !== -1) continue
      hostAt = rawHeaders.length
    }
    rawHeaders.push(name, raw[i + 1])
  }
  if (authority !== undefined) {
    if (hostAt === -1) rawHeaders.push('host', authority)
    else rawHeaders[hostAt + 1] = authority
  }
  const headers = Object.create(null) as IncomingHttpHeaders
  for (const k of Object.keys(req.headers)) if (!isPseudo(k)) headers[k] = req.headers[k]
  if (authority !== undefined) headers.host = authority
  return { method: req.method, url: req.url, httpVersion: req.httpVersion, rawHeaders, headers, socket: snapshotSocket(req) }
}

/**
 * The HTTP/2 view of a request, built on first use and kept on it. Take it first while the
 * stream is open (the context factory does, on arrival), so that the socket snapshot holds.
 */
export function http2View (req: IncomingMessage): Http2RequestView {
  const r = req as ViewedRequest
  let v = r[kView]
  if (v === undefined) {
    v = buildView(req)
    r[kView] = v
  }
  return v
}

/** The request's headers as flat pairs, as received: `rawHeaders`, or the HTTP/2 view's. */
export function requestRawHeaders (req: IncomingMessage): readonly string[] {
  return req.httpVersionMajor === 2 ? http2View(req).rawHeaders : req.rawHeaders
}

/** The request as a log record's source: itself, or its HTTP/2 view. */
export function sourceRequestOf (req: IncomingMessage): SourceRequest {
  return req.httpVersionMajor === 2 ? http2View(req) : req
}

const kHead = Symbol('waf.http2ResponseHead')

type HeadedResponse = ServerResponse & { _header?: string | null, [kHead]?: string }

/**
 * The status line and headers a response went out with, as an HTTP/1.1 header block: the one
 * Node wrote, or for an HTTP/2 response (whose HEADERS frame keeps no such block) the same block
 * built from what was sent, so that logs read both alike. Undefined before the head is sent.
 */
export function responseHeadBlock (res: ServerResponse): string | undefined {
  const r = res as HeadedResponse
  const block = r._header
  if (typeof block === 'string') return block
  if (!res.headersSent || res.req?.httpVersionMajor !== 2) return undefined
  let head = r[kHead]
  if (head === undefined) {
    // The reason phrase from the table: HTTP/2 has none, and reading its statusMessage warns.
    head = `HTTP/1.1 ${res.statusCode} ${STATUS_CODES[res.statusCode] ?? ''}\r\n`
    const headers = res.getHeaders()
    for (const name in headers) {
      const v = headers[name]
      if (v === undefined || isPseudo(name)) continue
      for (const one of Array.isArray(v) ? v : [v]) head += `${name}: ${String(one)}\r\n`
    }
    head += '\r\n'
    r[kHead] = head
  }
  return head
}
