import { STATUS_CODES } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Forwarder, undiciErrorStatus } from '../lib/proxy/forwarder.js'
import type { UpstreamCall, UpstreamResponse } from '../lib/proxy/forwarder.js'
import type { OutgoingHeaders } from '../lib/proxy/forwarded.js'
import type { ResponseHeaders } from '../lib/proxy/response-headers.js'
import { dropRequestHopByHop } from '../lib/proxy/hop-by-hop.js'
import { UpstreamTiming } from '../lib/proxy/upstream-timing.js'
import { checkBoolean, checkFunction, checkOptionNames } from '../lib/options.js'
import { contextOf, requestIdHeaderOf } from './upstream.js'

/**
 * `wafForward`: a Fastify reply forwarded through a `Forwarder` (lib/proxy/forwarder.ts, undici's
 * `dispatch`) with the same bookkeeping `wafUpstream` gives `@fastify/reply-from`:
 * `request.waf.upstream` filled, the request id sent upstream, 502/504 for an upstream's failure.
 * The body Fastify read (bytes) goes upstream whole; the upstream's body is sent as a stream, or
 * as bytes when it came whole with its head (`wholeBodies`), which `onSend` hooks read alike.
 *
 * ```ts
 * const forwarder = new Forwarder('http://127.0.0.1:3000', { connections: 128, pipelining: 1, keepAliveTimeout: 60_000 })
 * const forward = wafForward(forwarder)
 * app.all('/*', (request, reply) => { forward(request, reply, request.url) })   // returns nothing: see docs
 * app.addHook('onClose', async () => { await forwarder.close() })
 * ```
 */
export interface WafForwardOptions {
  /** As `wafUpstream`'s: the header that carries `request.waf.id` upstream; `false` sends none. Default `'x-request-id'`. */
  requestIdHeader?: string | false
  /** Edits the headers to send (hop-by-hop fields dropped, `host` the upstream's, the id added) and returns them. */
  rewriteRequestHeaders?: (request: FastifyRequest, headers: OutgoingHeaders) => OutgoingHeaders
  /** Answers an upstream failure (502, or 504 on a timeout); by default a JSON body with the status. */
  onError?: (reply: FastifyReply, status: 502 | 504, error: Error) => void
  /**
   * A body that arrived whole with the upstream's head, with its Content-Type and exact
   * Content-Length, is sent as a Buffer (`onSend` hooks see bytes) rather than as a stream:
   * the same bytes on the wire for less CPU. `false` streams every body. Default true.
   */
  wholeBodies?: boolean
}

/** Forwards a request to `path` (origin-form) at `origin`, or at the forwarder's own origin. */
export type WafForward = (request: FastifyRequest, reply: FastifyReply, path: string, origin?: string) => FastifyReply

const FORWARD_OPTIONS: ReadonlySet<string> = new Set(['requestIdHeader', 'rewriteRequestHeaders', 'onError', 'wholeBodies'])
type ErrorAnswer = NonNullable<WafForwardOptions['onError']>

function defaultAnswer (reply: FastifyReply, status: 502 | 504): void {
  void reply.code(status).send({ statusCode: status, error: STATUS_CODES[status] })
}

/** One forwarded request's way back: the upstream's answer, or its failure, onto the reply. */
class ReplyCall implements UpstreamCall {
  constructor (private readonly reply: FastifyReply, private readonly timing: UpstreamTiming | undefined, private readonly answer: ErrorAnswer, private readonly wholeBodies: boolean) {}

  onResponse (res: UpstreamResponse): void {
    const reply = this.reply
    const raw = reply.request.raw
    // The client went away while the upstream answered: nothing to send (as reply-from did).
    if (raw.aborted) {
      if (res.bytes === null) res.body.destroy()
      return
    }
    this.timing?.settle(res.statusCode)
    const h = res.headers
    const http2 = raw.httpVersionMajor === 2
    const names = Object.keys(h)
    for (let i = 0; i < names.length; i++) {
      // HTTP/2 has no Host or HTTP2-Settings response field (Node refuses them as connection-specific).
      if (http2 && (names[i] === 'host' || names[i] === 'http2-settings')) continue
      void reply.header(names[i], h[names[i]])
    }
    // An HTTP/1 connection whose request body was not read to its end cannot carry another request.
    if (!http2 && !raw.complete) void reply.header('connection', 'close')
    try {
      void reply.code(res.statusCode)
    } catch {
      if (res.bytes === null) res.body.destroy()
      this.answer(reply, 502, new Error(`the upstream answered with an invalid status ${res.statusCode}`))
      return
    }
    const bytes = this.wholeBodies ? res.bytes : null
    void reply.send(bytes !== null && sentAsIs(h, bytes) ? bytes : res.body)
  }

  onError (err: Error): void {
    const status = undiciErrorStatus(err)
    this.timing?.settle(status)
    if (!this.reply.sent) this.answer(this.reply, status, err)
  }
}

/**
 * Whether Fastify sends these bytes with the upstream's own framing: it adds a Content-Type
 * (`application/octet-stream`) to a Buffer without one and sets Content-Length to the bytes'
 * length, where a stream goes out with the fields as they are (chunked without a length). So
 * only a body with its type and its exact length goes as bytes.
 */
function sentAsIs (h: ResponseHeaders, bytes: Buffer): boolean {
  const length = h['content-length']
  return typeof h['content-type'] === 'string' && typeof length === 'string' && Number(length) === bytes.length
}

/** The request's body as the bytes to send upstream, or `null` for none. */
function bodyBytes (body: unknown): Buffer | null {
  if (body === undefined || body === null) return null
  if (Buffer.isBuffer(body)) return body
  if (typeof body === 'string') return Buffer.from(body)
  throw new TypeError('wafForward: the request body must be bytes or a string (keep bodies with a buffer content-type parser)')
}

export function wafForward (forwarder: Forwarder, opts: WafForwardOptions = {}): WafForward {
  if (!(forwarder instanceof Forwarder)) throw new TypeError('wafForward: the first argument must be a Forwarder')
  checkOptionNames('wafForward', opts, FORWARD_OPTIONS, 'an object', false)
  const idHeader = requestIdHeaderOf(opts.requestIdHeader, 'wafForward')
  for (const k of ['onError', 'rewriteRequestHeaders'] as const) checkFunction('wafForward', k, opts[k])
  checkBoolean('wafForward', 'wholeBodies', opts.wholeBodies, 'a boolean')
  const wholeBodies = opts.wholeBodies ?? true
  const rewrite = opts.rewriteRequestHeaders
  const answer = opts.onError ?? defaultAnswer
  // host[:port] of each origin, as the upstream's Host field and `request.waf.upstream.addr`.
  const hosts = new Map<string, string>()
  const hostOf = (origin: string): string => {
    let host = hosts.get(origin)
    if (host === undefined) {
      host = new URL(origin).host
      if (hosts.size < 1024) hosts.set(origin, host)
    }
    return host
  }
  return function forward (request, reply, path, origin) {
    const to = origin ?? forwarder.origin
    if (to === undefined) throw new TypeError('wafForward: no origin given and the forwarder was made for none')
    const host = hostOf(to)
    let headers = dropRequestHopByHop(request.headers as OutgoingHeaders)
    headers.host = host
    const body = bodyBytes(request.body)
    // The body is sent whole: its length replaces any the client gave (a chunked body gets one).
    if (body !== null) headers['content-length'] = String(body.length)
    const ctx = contextOf(request)
    let timing: UpstreamTiming | undefined
    if (ctx !== undefined) {
      timing = new UpstreamTiming(host, Date.now())
      ctx.upstream = timing
      if (idHeader !== undefined) headers[idHeader] = ctx.id
    }
    if (rewrite !== undefined) headers = rewrite(request, headers)
    forwarder.forward({ origin: to, method: request.raw.method as string, path, headers, body }, new ReplyCall(reply, timing, answer, wholeBodies))
    return reply
  }
}
