import { Readable } from 'node:stream'
import { Agent, Pool } from 'undici'
import type { Dispatcher } from 'undici'
import { responseHeadersOf } from './response-headers.js'
import type { ResponseHeaders } from './response-headers.js'
import type { OutgoingHeaders } from './forwarded.js'

/**
 * A request forwarded through undici's `dispatch` with a handler of its own: the upstream's body
 * arrives as a plain Readable that pauses the connection while its reader is behind. Framework-free;
 * plugins/upstream.ts adapts it to a Fastify reply. It does what `@fastify/reply-from` did for
 * the gateway without its per-request extras (two copies of the header object, a URL object and
 * an LRU key per request, undici's `request()` API with its AbortSignal and async-resource
 * bookkeeping): docs/profiling.md has the figures.
 */

export interface ForwarderOptions {
  /** Connections per upstream origin (undici `connections`). */
  connections: number
  /** Requests in flight per connection (undici `pipelining`; 1: none pipelined). */
  pipelining: number
  /** How long an idle upstream connection is kept, in ms (undici `keepAliveTimeout`). */
  keepAliveTimeout: number
  /** ms to wait for the upstream's response head (undici `headersTimeout`, default 300000): then 504. */
  headersTimeout?: number
  /** ms of silence allowed between two chunks of the upstream's body (undici `bodyTimeout`, default 300000). */
  bodyTimeout?: number
  /** TLS to `https://` upstreams: certificates are verified unless `rejectUnauthorized` is false. */
  connect?: { rejectUnauthorized?: boolean, ca?: string | Buffer | Array<string | Buffer> }
}

/** What goes upstream: lowercase header names, `host` among them; the body whole or none. */
export interface UpstreamRequest {
  /** `http(s)://host[:port]`; may be left out when the forwarder was made for one origin. */
  origin?: string
  method: string
  /** Origin-form: path and query. */
  path: string
  headers: OutgoingHeaders
  body: Buffer | null
}

export interface UpstreamResponse {
  statusCode: number
  /** Lowercase names, hop-by-hop fields dropped; repeated fields as arrays, in order. */
  headers: ResponseHeaders
  /** The body as it arrives; destroying it before its end aborts the upstream request. */
  body: Readable
}

export interface UpstreamCall {
  /** The upstream's head arrived (informational 1xx responses are skipped). */
  onResponse: (res: UpstreamResponse) => void
  /** No response head: the upstream could not be reached, broke off, or timed out. */
  onError: (err: Error) => void
}

/**
 * The status an upstream failure is recorded and answered with, as nginx records
 * `$upstream_status`: 504 for an upstream that did not connect or answer in time, 502 otherwise.
 */
export function undiciErrorStatus (err: Error): 502 | 504 {
  const code = (err as Error & { code?: string }).code
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' ? 504 : 502
}

type Abort = (reason?: Error) => void

/** The upstream's body: `_read` resumes the connection that `push` returning false paused. */
class UpstreamBody extends Readable {
  resumeUpstream: (() => void) | null = null
  abortUpstream: Abort | null = null
  ended = false

  override _read (): void {
    const resume = this.resumeUpstream
    if (resume !== null) resume()
  }

  override _destroy (err: Error | null, callback: (error?: Error | null) => void): void {
    // Destroyed before its end (the client went away): the connection cannot be reused.
    if (!this.ended && this.abortUpstream !== null) this.abortUpstream(err ?? new Error('the response body was destroyed before its end'))
    this.abortUpstream = null
    this.resumeUpstream = null
    callback(err)
  }
}

/** undici's legacy handler interface: called directly, with no wrapping, by its dispatchers. */
class ForwardHandler implements Dispatcher.DispatchHandler {
  private abort: Abort | null = null
  private body: UpstreamBody | null = null

  constructor (private readonly call: UpstreamCall) {}

  onConnect (abort: Abort): void {
    this.abort = abort
  }

  onHeaders (statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true
    const body = new UpstreamBody()
    body.resumeUpstream = resume
    body.abortUpstream = this.abort
    this.body = body
    this.call.onResponse({ statusCode, headers: responseHeadersOf(rawHeaders), body })
    return true
  }

  onData (chunk: Buffer): boolean {
    const body = this.body
    return body === null || body.destroyed ? true : body.push(chunk)
  }

  onComplete (): void {
    const body = this.body
    if (body === null || body.destroyed) return
    body.ended = true
    body.push(null)
  }

  onError (err: Error): void {
    const body = this.body
    if (body === null) {
      this.call.onError(err)
      return
    }
    body.ended = true
    if (!body.destroyed) body.destroy(err)
  }
}

/**
 * Forwards requests to one origin (through a Pool) or to several (through an Agent, which keeps
 * a Pool per origin). `close()` destroys the connections: call it once the server has closed.
 */
export class Forwarder {
  readonly #dispatcher: Pool | Agent
  readonly #origin: string | undefined

  constructor (origin: string | undefined, opts: ForwarderOptions) {
    const options = {
      connections: opts.connections,
      pipelining: opts.pipelining,
      keepAliveTimeout: opts.keepAliveTimeout,
      ...(opts.headersTimeout === undefined ? {} : { headersTimeout: opts.headersTimeout }),
      ...(opts.bodyTimeout === undefined ? {} : { bodyTimeout: opts.bodyTimeout }),
      ...(opts.connect === undefined ? {} : { connect: opts.connect })
    }
    this.#origin = origin === undefined ? undefined : new URL(origin).origin
    this.#dispatcher = this.#origin === undefined ? new Agent(options) : new Pool(this.#origin, options)
  }

  /** The origin of a one-origin forwarder. */
  get origin (): string | undefined {
    return this.#origin
  }

  forward (req: UpstreamRequest, call: UpstreamCall): void {
    const origin = req.origin ?? this.#origin
    if (origin === undefined) throw new TypeError('Forwarder.forward: the request has no origin and the forwarder was made for none')
    this.#dispatcher.dispatch({
      origin,
      method: req.method as Dispatcher.HttpMethod,
      path: req.path,
      headers: req.headers as Record<string, string | string[]>,
      body: req.body
    }, new ForwardHandler(call))
  }

  async close (): Promise<void> {
    await this.#dispatcher.destroy()
    // One more turn of the event loop, so that the destroyed sockets' close events run before
    // whatever closes next (as reply-from's close did; the gateway's final heartbeat counts on it).
    await new Promise(resolve => setImmediate(resolve))
  }
}
