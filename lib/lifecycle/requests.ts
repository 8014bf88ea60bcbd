import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { ContextFactory } from './context.js'
import type { WafContext } from './context.js'
import { joinedContext } from './joined-context.js'
import { JoinedSet } from './joined-set.js'
import { departureOrder } from './participant.js'
import type { ClientErrorInfo, Participant } from './participant.js'
import { readRefusedRequest } from './refused.js'
import type { ParserError } from './refused.js'
import { settleRefusedSizes, settleSizes } from './sizes.js'
import { existingSocketState, socketState } from './socket-state.js'
import { pathOf, underPrefix } from './switches.js'
import type { RouteWafConfig } from './switches.js'

/**
 * The life of a request through the waf participants, framework-free: its context, which
 * participants joined it, their departure once its response closes, and the requests the HTTP
 * parser refused. The framework adapter (plugins/core.ts) calls it from its hooks.
 */

/** What the lifecycle reads of a framework's request. */
export interface LifecycleRequest {
  /** The request's context, null until the first participant joins (a request decorator). */
  waf: WafContext | null
  readonly raw: IncomingMessage
  /** The client's address as the app sees it (a proxy trusted or not). */
  readonly ip: string | undefined
  readonly url: string
}

/** What the lifecycle reads of a framework's reply. */
export interface LifecycleReply<Req> {
  readonly raw: ServerResponse
  readonly request: Req
}

/** The route a request matched, as far as the participants' switches need it; null when none did (the early path). */
export interface RouteFacts {
  /** The route pattern, undefined for a 404. */
  url: string | undefined
  /** The route's `config.waf`. */
  waf: RouteWafConfig | undefined
  /**
   * The switch of each participant, by its index, when it depends on the route alone (a static
   * pattern, or config.waf off): resolved at the route's first request, never again. An index
   * not in it (a wildcard route, a 404) is decided on the request's path.
   */
  on: Array<boolean | undefined>
}

/** Where a framework's app keeps its lifecycle (a decorator). */
export const kLifecycle = Symbol.for('fastify-waflog.core')
/** Request decorator: the participants that joined the request (a JoinedSet mask), 0 for none. */
export const kJoined = Symbol('waf.joined')
type Joined = { [kJoined]?: number }
/** On the response of a request that joined: its reply, for the shared 'close' listener. */
const kReply = Symbol('waf.reply')

export const JOIN_SKIPPED = 0
export const JOIN_JOINED = 1
export const JOIN_REPLIED = 2
export type JoinResult = typeof JOIN_SKIPPED | typeof JOIN_JOINED | typeof JOIN_REPLIED

type TrackedResponse<Rep> = ServerResponse & { [kReply]?: Rep }

export class RequestLifecycle<Req extends LifecycleRequest, Rep extends LifecycleReply<Req>> {
  readonly factory = new ContextFactory()
  /** The app's policy table (one owner: the context factory resolves every context's policy in it). */
  readonly policies = this.factory.policies
  /** Every participant registered in this app, in registration order, for the early path. */
  readonly participants: Array<Participant<Req, Rep>> = []
  /** Which participants joined a request; a participant's bit is its index in `participants`. */
  private readonly joined = new JoinedSet()
  /** Indexes into `participants`, in departure order. */
  private departures: number[] = []
  /**
   * The route prefix of the (possibly encapsulated) context each participant was registered in.
   * Requests that never reach routing (the early path) are matched against it, as the hooks of an
   * encapsulated context only ever see requests under its prefix.
   */
  private readonly scopes = new Map<Participant<Req, Rep>, string>()
  /**
   * The one listener every joined request's response gets: `ServerResponse` emits 'close' after
   * 'finish', and when the connection goes before the response has ended. A shared function
   * (`this` is the response), so a request costs no closure and no framework response hook.
   */
  readonly responseClosed: (this: ServerResponse) => void

  constructor (private readonly reportError: (err: unknown, key: string) => void) {
    const lifecycle = this
    this.responseClosed = function wafResponseClosed (this: ServerResponse) {
      const reply = (this as TrackedResponse<Rep>)[kReply]
      if (reply !== undefined) lifecycle.depart(reply.request, reply)
    }
  }

  /** The request's context, created on first use. */
  context (request: Req): WafContext {
    let ctx = request.waf as WafContext | null | undefined
    if (ctx === null || ctx === undefined) {
      ctx = this.factory.create(request.raw)
      // The framework's view of the client (trustProxy), read while the connection is surely there.
      ctx.clientIp = request.ip
      request.waf = ctx
    }
    return ctx
  }

  /** Adds a participant once, in the prefix `scope` it was registered in; returns its index (its bit in a JoinedSet). */
  enlist (p: Participant<Req, Rep>, scope: { prefix: string } | undefined): number {
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

  /**
   * The facts of a route for the switches, from its pattern and `config.waf`; the switches that
   * depend on the route alone are resolved here, once.
   */
  routeFacts (url: string | undefined, waf: RouteWafConfig | undefined): RouteFacts {
    const on: Array<boolean | undefined> = []
    for (const p of this.participants) on.push(p.enabledOnRoute?.(url, waf))
    return { url, waf, on }
  }

  /**
   * Joins participant `index` for this request if its switch says so: marks `ctx.enabled`, lines
   * it up for departure and runs its `arrive`. `route` is null on the early path (a request the
   * framework answered before routing).
   */
  join (index: number, request: Req, reply: Rep, route: RouteFacts | null): JoinResult {
    const p = this.participants[index]
    const ctx = this.context(request)
    const early = route === null
    if (early && !this.inScope(p, request.url)) return JOIN_SKIPPED
    const joined = request as Joined
    const mask = joined[kJoined] ?? 0
    // A plugin registered both in a scope and in one nested in it sees the request once.
    if (mask !== 0 && this.joined.hasKey(mask, p.key)) return JOIN_SKIPPED
    const on = route === null ? undefined : route.on[index]
    if (on === false) return JOIN_SKIPPED
    if (on === undefined && !p.enabled(route?.url, request.url, route?.waf)) return JOIN_SKIPPED
    ctx.enabled[p.key] = true
    if (mask === 0) this.track(request, reply)
    joined[kJoined] = this.joined.add(mask, index, p.key)
    if (p.arrive !== undefined && p.arrive(request, reply, ctx, early) === true && !early) return JOIN_REPLIED
    return JOIN_JOINED
  }

  /** The first participant joined: the request departs when its response closes. */
  private track (request: Req, reply: Rep): void {
    const res = reply.raw as TrackedResponse<Rep>
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

  private inScope (p: Participant<Req, Rep>, url: string): boolean {
    const prefix = this.scopes.get(p)
    return prefix === undefined || prefix.length === 0 || underPrefix(pathOf(url), prefix)
  }

  /** Finishes the request once: sizes first, then each participant in departure order. */
  depart (request: Req, reply: Rep): void {
    const joined = request as Joined
    const mask = joined[kJoined] ?? 0
    if (mask === 0 || this.joined.departed(mask)) return
    joined[kJoined] = this.joined.markDeparted(mask)
    const raw = request.raw
    const socket = raw.socket
    if (socket != null) {
      const state = existingSocketState(socket)
      if (state !== undefined && state.inFlight === raw) state.inFlight = null
    }
    const ctx = joinedContext(request)
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

  /**
   * Logs a request the HTTP parser refused, through every participant that takes such requests.
   * `respond` builds the error response from the header lines participants add (the request id)
   * and is what gets written: its size is the request's `ctx.bytesOut`. Returns it.
   */
  clientError (err: ParserError, socket: Socket, status: number, respond: (headerLines: string) => string): string {
    const refused = readRefusedRequest(err)
    const target = refused.target
    const ctx = this.factory.createFor(refused.host, undefined)
    ctx.clientIp = socket.remoteAddress
    const info: ClientErrorInfo = {
      ctx,
      status,
      code: err.code ?? 'ERR_CLIENT',
      rawPacket: refused.raw,
      requestLine: refused.requestLine,
      head: refused.head,
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
  replyOfStalledRequest (socket: Socket): Rep | undefined {
    const req = existingSocketState(socket)?.inFlight as IncomingMessage | null | undefined
    if (req == null || req.complete) return undefined
    // The rare path (a timeout): Node keeps the socket's current response only in this field.
    const res = (socket as Socket & { _httpMessage?: TrackedResponse<Rep> | null })._httpMessage
    if (res == null || res.headersSent) return undefined
    const reply = res[kReply]
    return reply !== undefined && reply.request.raw === req ? reply : undefined
  }
}
