import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import { STATUS_CODES } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { ContextFactory } from '../lib/context.js'
import type { WafContext } from '../lib/context.js'
import { JoinedSet, departureOrder } from '../lib/lifecycle.js'
import type { ClientErrorInfo, Participant } from '../lib/lifecycle.js'
import type { RouteWafConfig } from '../lib/switches.js'
import { pathOf, underPrefix } from '../lib/switches.js'
import { settleRefusedSizes, settleSizes } from '../lib/sizes.js'
import { existingSocketState, socketState } from '../lib/socket-state.js'
import { readRawHead } from '../lib/forensic/raw-head.js'
import { LogFramework } from '../lib/log/framework.js'
import type { Transport } from '../lib/transport/types.js'

/**
 * The glue every waf plugin shares: the request context, the per-request list of plugins that
 * must finish the request, and the path for requests that Fastify answers before any hook runs.
 * `waf-socket` installs it once; every other plugin depends on `waf-socket` and joins it.
 */

export type WafParticipant = Participant<FastifyRequest, FastifyReply>

declare module 'fastify' {
  interface FastifyRequest {
    /** The waf context, created by the first waf plugin whose `onRequest` runs. */
    waf: WafContext
  }
  interface FastifyInstance {
    /** Streams, filters and writers of every waf log (see lib/log). */
    wafLog: LogFramework
  }
  interface FastifyContextConfig {
    /** `false` turns every waf plugin off for the route; `{ rules: false }` turns one off. */
    waf?: RouteWafConfig
  }
}

const kCore = Symbol.for('fastify-waflog.core')
/** Request decorator: the participants that joined the request (a JoinedSet mask), 0 for none. */
const kJoined = Symbol('waf.joined')
/** Request decorator: the route's config (`url`, `waf`…), read once per request. */
const kRouteConfig = Symbol('waf.routeConfig')
/** On the response of a request that joined: its Fastify reply, for the shared 'close' listener. */
const kReply = Symbol('waf.reply')

interface RouteConfig { url?: string, waf?: RouteWafConfig }
type CoreRequest = FastifyRequest & { [kJoined]: number, [kRouteConfig]: RouteConfig | null }
type CoreResponse = ServerResponse & { [kReply]?: FastifyReply }

export class WafCore {
  readonly factory = new ContextFactory()
  /** Every participant registered in this app, in registration order, for the early path. */
  readonly participants: WafParticipant[] = []
  /** Which participants joined a request; a participant's bit is its index in `participants`. */
  private readonly joined = new JoinedSet()
  /** Indexes into `participants`, in departure order. */
  private departures: number[] = []
  /**
   * The route prefix of the (possibly encapsulated) context each participant was registered in.
   * Requests that never reach routing (the early path) are matched against it, as the hooks of an
   * encapsulated context only ever see requests under its prefix.
   */
  private readonly scopes = new Map<WafParticipant, string>()
  /** Apps whose plugins' join hooks the umbrella is collecting into one (see collectJoinHooks). */
  private readonly collecting = new Map<FastifyInstance, Array<{ p: WafParticipant, index: number }>>()
  readonly log: LogFramework
  /**
   * The one listener every joined request's response gets: `ServerResponse` emits 'close' after
   * 'finish', and when the connection goes before the response has ended. A shared function
   * (`this` is the response), so a request costs no closure and no Fastify response hook.
   */
  readonly responseClosed: (this: ServerResponse) => void

  constructor (private readonly app: FastifyInstance, readonly transport: Transport) {
    this.log = new LogFramework(transport, {
      onError: (err, stream) => app.log.error({ err, stream }, 'waf log filter or listener failed')
    })
    const core = this
    this.responseClosed = function wafResponseClosed (this: ServerResponse) {
      const reply = (this as CoreResponse)[kReply]
      if (reply !== undefined) core.depart(reply.request, reply)
    }
  }

  /** The request's context, created on first use. */
  context (request: FastifyRequest): WafContext {
    let ctx = request.waf
    if (ctx === null || ctx === undefined) {
      ctx = this.factory.create(request.raw)
      // Fastify's view of the client (trustProxy), read while the connection is surely there.
      ctx.clientIp = request.ip
      request.waf = ctx
    }
    return ctx
  }

  /**
   * Joins a participant for this request if its switch says so: marks `ctx.enabled`, lines it up
   * for departure and runs its `arrive`. Returns whether it joined.
   */
  join (p: WafParticipant, request: FastifyRequest, reply: FastifyReply, early: boolean): boolean {
    return this.joinFor(p, this.participants.indexOf(p), request, reply, early) !== JOIN_SKIPPED
  }

  /** `join`, telling apart a participant that answered the request from one that only joined. */
  private joinFor (p: WafParticipant, index: number, request: FastifyRequest, reply: FastifyReply, early: boolean): number {
    const ctx = this.context(request)
    if (early && !this.inScope(p, request.url)) return JOIN_SKIPPED
    const r = request as CoreRequest
    const mask = r[kJoined] ?? 0
    // A plugin registered both in a scope and in one nested in it sees the request once.
    if (mask !== 0 && this.joined.hasKey(mask, p.key)) return JOIN_SKIPPED
    let route: RouteConfig | null = null
    if (!early) {
      // `request.routeOptions` builds an object on every read: once per request is enough.
      route = r[kRouteConfig]
      if (route === null) {
        route = (request.routeOptions.config as RouteConfig | undefined) ?? NO_ROUTE_CONFIG
        r[kRouteConfig] = route
      }
    }
    if (!p.enabled(route === null ? undefined : route.url, request.url, route === null ? undefined : route.waf)) return JOIN_SKIPPED
    ctx.enabled[p.key] = true
    if (mask === 0) this.track(request, reply)
    r[kJoined] = this.joined.add(mask, index, p.key)
    if (p.arrive !== undefined && p.arrive(request, reply, ctx, early) === true && !early) return JOIN_REPLIED
    return JOIN_JOINED
  }

  /** The first participant joined: the request departs when its response closes. */
  private track (request: FastifyRequest, reply: FastifyReply): void {
    const res = reply.raw as CoreResponse
    res[kReply] = reply
    res.on('close', this.responseClosed)
    const raw = request.raw
    const socket = raw.socket
    if (socket == null) return
    socketState(socket).inFlight = raw
    // A pipelined request whose response waits behind an earlier one has no socket yet, and Node
    // never closes that response if the connection goes first: its request's 'close' is the
    // only sign (the rare path, so a closure is fine).
    if (res.socket == null && raw.httpVersionMajor === 1) {
      raw.on('close', () => {
        const s = raw.socket
        if (s == null || s.destroyed) this.depart(request, reply)
      })
    }
  }

  private inScope (p: WafParticipant, url: string): boolean {
    const prefix = this.scopes.get(p)
    return prefix === undefined || prefix.length === 0 || underPrefix(pathOf(url), prefix)
  }

  /** Finishes the request once: sizes first, then each participant in departure order. */
  depart (request: FastifyRequest, reply: FastifyReply): void {
    const r = request as CoreRequest
    const mask = r[kJoined] ?? 0
    if (mask === 0 || this.joined.departed(mask)) return
    r[kJoined] = this.joined.markDeparted(mask)
    const raw = request.raw
    const socket = raw.socket
    if (socket != null) {
      const state = existingSocketState(socket)
      if (state !== undefined && state.inFlight === raw) state.inFlight = null
    }
    const ctx = request.waf
    settleSizes(ctx, raw, reply.raw)
    const order = this.departures
    const participants = this.participants
    for (let i = 0; i < order.length; i++) {
      const at = order[i]
      if (!this.joined.has(mask, at)) continue
      const p = participants[at]
      if (p.depart === undefined) continue
      try {
        p.depart(request, reply, ctx)
      } catch (err) {
        this.reportError(err, p.key)
      }
    }
  }

  /**
   * Whether the parser error on this socket is in the body of a request that joined and has not
   * departed (a bad chunk size, a bad Transfer-Encoding): that request is already being logged
   * through its normal path, and departs when the socket closes. An error after a complete
   * request (the next pipelined request) is a request of its own.
   */
  bodyErrorOfRequestInFlight (socket: Socket): boolean {
    const req = existingSocketState(socket)?.inFlight as IncomingMessage | null | undefined
    return req != null && !req.complete
  }

  private readonly reportError = (err: unknown, key: string): void => {
    this.app.log.error({ err, plugin: `waf-${key}` }, 'waf plugin failed while finishing a request')
  }

  /**
   * Logs a request the HTTP parser refused, through every participant that takes such requests.
   * `respond` builds the error response from the header lines participants add (the request id)
   * and is what gets written: its size is the request's `ctx.bytesOut`. Returns it.
   */
  clientError (err: Error & { code?: string, rawPacket?: Buffer, bytesParsed?: number }, socket: Socket, status: number, respond: (headerLines: string) => string = () => ''): string {
    const raw = failingRequestBytes(err.rawPacket, err.bytesParsed)
    const head = raw === undefined ? '' : raw.toString('latin1')
    const eol = head.indexOf('\r\n')
    const requestLine = eol > 0 ? head.slice(0, eol) : (head.length > 0 ? head : undefined)
    const host = /\r\nhost:[ \t]*([^\r\n]*)/i.exec(head)?.[1]
    const target = requestLine?.split(' ')[1] ?? '/'
    const ctx = this.factory.createFor(host, undefined)
    ctx.clientIp = socket.remoteAddress
    const info: ClientErrorInfo = {
      ctx,
      status,
      code: err.code ?? 'ERR_CLIENT',
      rawPacket: raw,
      requestLine,
      head: raw === undefined ? undefined : readRawHead(head),
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
      responseHeaders: []
    }
    const keys = new Set<string>()
    const ordered = this.participants
      .filter(p => {
        if ((p.clientError === undefined && p.clientErrorArrive === undefined) || keys.has(p.key)) return false
        if (!this.inScope(p, target) || !p.enabled(undefined, target, undefined)) return false
        keys.add(p.key)
        return true
      })
      .sort((a, b) => a.order - b.order)
    for (const p of ordered) {
      ctx.enabled[p.key] = true
      if (p.clientErrorArrive === undefined) continue
      try {
        p.clientErrorArrive(info)
      } catch (e) {
        this.reportError(e, p.key)
      }
    }
    let lines = ''
    for (const [name, value] of info.responseHeaders) lines += `${name}: ${value}\r\n`
    const response = respond(lines)
    settleRefusedSizes(ctx, socket, response.length)
    for (const p of ordered) {
      if (p.clientError === undefined) continue
      try {
        p.clientError(info)
      } catch (e) {
        this.reportError(e, p.key)
      }
    }
    return response
  }

  /**
   * The in-flight request whose body Node's request timeout cut (or undefined): it joined, its
   * response has not started, so it is answered 408 through its own reply and logged once, as
   * every request is.
   */
  replyOfStalledRequest (socket: Socket): FastifyReply | undefined {
    const req = existingSocketState(socket)?.inFlight as IncomingMessage | null | undefined
    if (req == null || req.complete) return undefined
    const res = (socket as Socket & { _httpMessage?: CoreResponse | null })._httpMessage
    if (res == null || res.headersSent) return undefined
    const reply = res[kReply]
    return reply !== undefined && reply.request.raw === req ? reply : undefined
  }

  /**
   * The hook a participant's plugin adds in its own (possibly encapsulated) context. A plain
   * function over `this`, not a closure per request.
   */
  onRequestHook (p: WafParticipant, scope?: { prefix: string }): JoinHook {
    const core = this
    const index = this.enlist(p, scope)
    return function wafJoin (request, reply, done) {
      // A participant that answered (403, 503) ends the hook chain: calling done() after a send
      // would run the handler when an onSend hook is asynchronous.
      if (core.joinFor(p, index, request, reply, false) === JOIN_REPLIED) return
      done()
    }
  }

  /**
   * What a waf plugin calls to join requests: adds its `onRequest` hook to `app`, or, while the
   * umbrella collects the hooks of `app` (`collectJoinHooks`), lines the participant up for the
   * umbrella's one hook.
   */
  addJoinHook (app: FastifyInstance, p: WafParticipant, scope?: { prefix: string }): void {
    const collected = this.collecting.get(app)
    if (collected === undefined) {
      app.addHook('onRequest', this.onRequestHook(p, scope))
      return
    }
    collected.push({ p, index: this.enlist(p, scope) })
  }

  /**
   * Collects the join hooks the plugins registered on `app` add from now on, until the returned
   * function adds them to `app` as one `onRequest` hook that joins each participant in the same
   * order, and stops at the first that answers, as a chain of one hook each would. The umbrella
   * registers its plugins one after another with nothing in between, so only Fastify's dispatch
   * of four more hooks per request goes.
   */
  collectJoinHooks (app: FastifyInstance): () => void {
    const list: Array<{ p: WafParticipant, index: number }> = []
    this.collecting.set(app, list)
    return () => {
      this.collecting.delete(app)
      if (list.length === 0) return
      const core = this
      app.addHook('onRequest', function wafJoinAll (request, reply, done) {
        for (let i = 0; i < list.length; i++) {
          if (core.joinFor(list[i].p, list[i].index, request, reply, false) === JOIN_REPLIED) return
        }
        done()
      })
    }
  }

  /** Adds a participant to the app's list once; returns its index (its bit in a JoinedSet). */
  private enlist (p: WafParticipant, scope: { prefix: string } | undefined): number {
    if (!this.participants.includes(p)) {
      JoinedSet.check(p.key)
      if (this.participants.length >= JoinedSet.MAX) {
        throw new RangeError(`fastify-waflog: at most ${JoinedSet.MAX} waf plugin registrations per app`)
      }
      this.participants.push(p)
      this.departures = departureOrder(this.participants)
    }
    if (scope !== undefined) this.scopes.set(p, scope.prefix)
    return this.participants.indexOf(p)
  }
}

type JoinHook = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void

/**
 * Installs the core on the app once, over the app's transport; `waf-socket` calls it. The caller
 * closes `core.log` and then the transport on `onClose`.
 */
export function installCore (app: FastifyInstance, transport: Transport): WafCore {
  const existing = (app as FastifyInstance & { [kCore]?: WafCore })[kCore]
  if (existing !== undefined) return existing
  const core = new WafCore(app, transport)
  app.decorate(kCore, core)
  app.decorate('wafLog', core.log)
  if (!app.hasRequestDecorator('waf')) app.decorateRequest('waf', null as unknown as WafContext)
  app.decorateRequest(kJoined, 0)
  app.decorateRequest(kRouteConfig, null)
  return core
}

/**
 * The bytes of the request the parser failed on. Node hands over the whole chunk it was parsing,
 * which holds the requests pipelined before the bad one too: the bad one starts after the last
 * blank line before the error offset.
 */
export function failingRequestBytes (packet: Buffer | undefined, errorAt: number | undefined): Buffer | undefined {
  if (packet === undefined || errorAt === undefined || errorAt < 4) return packet
  const end = packet.lastIndexOf('\r\n\r\n', Math.min(errorAt, packet.length) - 4, 'latin1')
  return end === -1 ? packet : packet.subarray(end + 4)
}

const NO_ROUTE_CONFIG: RouteConfig = Object.freeze({})

/** On a socket whose request was refused (answered by the client-error handler). */
const kRefused = Symbol('waf.refused')

/**
 * How long a refused connection may still send (what it sends is read and dropped) before it is
 * closed, as nginx's lingering close: closing at once with unread bytes would reset the
 * connection and could lose the answer on its way to the client.
 */
const LINGER_MS = 5000

function lingerThenClose (socket: Socket): void {
  setTimeout(() => socket.destroy(), LINGER_MS).unref()
}

const TIMEOUT_BODY = `{"error":"Request Timeout","message":"Client Timeout","statusCode":408}`

/**
 * Answers 408 to a request whose body stopped arriving (nginx `client_body_timeout`), through its
 * reply, so that it is logged and counted once like any request; the connection closes after it.
 */
export function answerRequestTimeout (reply: FastifyReply): void {
  if (reply.sent) return
  // HTTP/2 has no Connection field: the stream ends with the answer, the session stays.
  if (reply.request.raw.httpVersionMajor >= 2) {
    void reply.code(408).header('content-type', 'application/json').send(TIMEOUT_BODY)
    return
  }
  const socket = reply.raw.socket
  void reply.code(408).header('connection', 'close').header('content-type', 'application/json').send(TIMEOUT_BODY)
  if (socket != null) lingerThenClose(socket)
}

const JOIN_SKIPPED = 0
const JOIN_JOINED = 1
const JOIN_REPLIED = 2

/**
 * Resolves after the current turn. The server has closed when `onClose` hooks run, but the
 * 'close' events of responses whose connections went last are still queued: a hook that ends
 * logging (the final heartbeat, the transport) waits for them, so their requests are counted
 * and logged.
 */
export async function afterPendingCloses (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}

/** The core of the app, for plugins that depend on `waf-socket`. */
export function coreOf (app: FastifyInstance): WafCore {
  const core = (app as FastifyInstance & { [kCore]?: WafCore })[kCore]
  if (core === undefined) throw new Error('fastify-waflog: register wafSocket before the other waf plugins')
  return core
}

/**
 * Fastify constructor options that route requests Fastify rejects before any hook runs through the
 * waf plugins, so that they are logged like any other: a malformed URL (400), a too-long
 * parameter (414) and, at the connection level, requests the HTTP parser refuses.
 *
 * ```ts
 * const app = Fastify({ ...wafServerOptions() })
 * ```
 */
export function wafServerOptions (): Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> {
  return {
    frameworkErrors (err, request, reply) {
      const core = (request.server as FastifyInstance & { [kCore]?: WafCore })[kCore]
      const status = (err as { statusCode?: number }).statusCode ?? 400
      // Joining lines the request up for departure when its response closes.
      if (core !== undefined) for (const p of core.participants) core.join(p, request, reply, true)
      void (reply as FastifyReply).code(status).send({ error: STATUS_CODES[status] ?? 'Bad Request', message: err.message, statusCode: status })
    },
    clientErrorHandler (this: FastifyInstance, connErr: Error, socket: Socket) {
      const err = connErr as Error & { code?: string, rawPacket?: Buffer }
      if (err.code === 'ECONNRESET' || socket.destroyed) {
        socket.destroy(err)
        return
      }
      // The connection was refused already: what the parser makes of the bytes (or the FIN)
      // that follow is no request of its own, and is neither answered nor logged again.
      const marked = socket as Socket & { [kRefused]?: true }
      if (marked[kRefused] === true) return
      marked[kRefused] = true
      const core = (this as FastifyInstance & { [kCore]?: WafCore })[kCore]
      // Statuses and bodies as Fastify's default handler sends them.
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
      const message = status === 408 ? 'Client Timeout' : status === 431 ? 'Exceeded maximum allowed HTTP header size' : 'Client Error'
      const reason = STATUS_CODES[status] as string
      const body = `{"error":"${reason}","message":"${message}","statusCode":${status}}`
      const stalled = status === 408 && core !== undefined ? core.replyOfStalledRequest(socket) : undefined
      if (stalled !== undefined) {
        // A body that stopped arriving: its request is answered and logged as itself.
        answerRequestTimeout(stalled)
        return
      }
      const respond = (lines: string): string =>
        `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\n${lines}Connection: close\r\n\r\n${body}`
      const response = core !== undefined && !core.bodyErrorOfRequestInFlight(socket) ? core.clientError(err, socket, status, respond) : respond('')
      // Responses of earlier requests on this connection may still be pending. As Node does,
      // answer only if none has started, and close at once.
      const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
      if (pending != null) {
        if (socket.writable && pending.headersSent !== true) socket.write(response)
        socket.destroy()
        return
      }
      socket.end(response)
      // After a parser error the parser reads nothing more: the connection lingers. After a
      // head timeout it would go on and make a request of the late bytes: closed once written.
      if (status === 408) socket.destroySoon()
      else lingerThenClose(socket)
    }
  }
}
