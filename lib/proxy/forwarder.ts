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
  /**
   * The whole body when it arrived with the head, in the same reads from the upstream's socket
   * (a small answer: the upstream connection is already free for the next request); `null`
   * while it is still arriving.
   */
  readonly bytes: Buffer | null
  /**
   * The body as it arrives; destroying it before its end aborts the upstream request. For a
   * response with `bytes`, a stream of those bytes, made when first read.
   */
  readonly body: Readable
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

/** A response whose body arrived whole with its head: the stream is made only if asked for. */
class WholeResponse implements UpstreamResponse {
  #body: Readable | null = null

  constructor (readonly statusCode: number, readonly headers: ResponseHeaders, readonly bytes: Buffer) {}

  get body (): Readable {
    let body = this.#body
    if (body === null) {
      const stream = new UpstreamBody()
      stream.ended = true
      if (this.bytes.length > 0) stream.push(this.bytes)
      stream.push(null)
      body = this.#body = stream
    }
    return body
  }
}

/** A response whose body is still arriving: `bytes` is null, `body` the stream it arrives on. */
interface StreamedResponse extends UpstreamResponse { readonly bytes: null }

/**
 * undici's legacy handler interface: called directly, with no wrapping, by its dispatchers. The
 * head is handed on one microtask after it arrived, once undici's parser has gone through
 * everything the upstream's socket had to read: a body that came whole with it (most answers of
 * an API) goes as bytes, which a Fastify reply sends with one `writeHead` and `end` instead of
 * piping a stream (docs/profiling.md: about 18 µs per request less); a longer one as a stream,
 * with the chunks read so far.
 */
class ForwardHandler implements Dispatcher.DispatchHandler {
  private abort: Abort | null = null
  private body: UpstreamBody | null = null
  private statusCode = 0
  private headers: ResponseHeaders | null = null
  private resume: (() => void) | null = null
  /** Between the head's arrival and its handing on, body chunks are held in `first` and `more`. */
  private holding = false
  /**
   * The first chunk held, and any after it: nearly every answer that comes whole is one chunk,
   * and an array for it cost each request 166 bytes (gateway-lifecycle.js: 15,482 -> 15,316 per request).
   */
  private first: Buffer | null = null
  private more: Buffer[] | null = null
  private complete = false
  private failure: Error | null = null

  constructor (private readonly call: UpstreamCall) {}

  onConnect (abort: Abort): void {
    this.abort = abort
  }

  onHeaders (statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true
    this.statusCode = statusCode
    this.headers = responseHeadersOf(rawHeaders)
    this.resume = resume
    this.holding = true
    queueMicrotask(() => { this.handOn() })
    return true
  }

  onData (chunk: Buffer): boolean {
    if (this.holding) {
      // At most what one pass of the parser reads (the socket's buffer): no pause needed.
      if (this.first === null) this.first = chunk
      else if (this.more === null) this.more = [chunk]
      else this.more.push(chunk)
      return true
    }
    const body = this.body
    return body === null || body.destroyed ? true : body.push(chunk)
  }

  onComplete (): void {
    if (this.holding) {
      this.complete = true
      return
    }
    const body = this.body
    if (body === null || body.destroyed) return
    body.ended = true
    body.push(null)
  }

  onError (err: Error): void {
    if (this.holding) {
      // After the head: its body errors once the head is handed on.
      this.failure = err
      return
    }
    const body = this.body
    if (body === null) {
      this.call.onError(err)
      return
    }
    body.ended = true
    if (!body.destroyed) body.destroy(err)
  }

  private handOn (): void {
    this.holding = false
    const first = this.first
    const more = this.more
    this.first = null
    this.more = null
    const headers = this.headers as ResponseHeaders
    if (this.complete) {
      const bytes = first === null ? Buffer.alloc(0) : more === null ? first : Buffer.concat([first, ...more])
      this.call.onResponse(new WholeResponse(this.statusCode, headers, bytes))
      return
    }
    const body = new UpstreamBody()
    body.resumeUpstream = this.resume
    body.abortUpstream = this.abort
    this.body = body
    if (first !== null) body.push(first)
    if (more !== null) for (let i = 0; i < more.length; i++) body.push(more[i])
    const streamed: StreamedResponse = { statusCode: this.statusCode, headers, bytes: null, body }
    this.call.onResponse(streamed)
    const failure = this.failure
    if (failure !== null) {
      body.ended = true
      if (!body.destroyed) body.destroy(failure)
    }
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
