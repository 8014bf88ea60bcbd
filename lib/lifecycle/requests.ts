import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { ContextFactory, kJoinedMask, kJoinedRoute } from './context.js'
import type { WafContext } from './context.js'
import { enable, Enlisted } from './enlisted.js'
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
/**
 * A context with the lifecycle's state: the participants that joined (a JoinedSet mask, 0 for
 * none) and the route facts they were joined with (null on the early path).
 */
type JoinedContext = WafContext & { [kJoinedMask]: number, [kJoinedRoute]: RouteFacts | null }
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
  /**
   * The same, as the per-request loops call them; an entry's bit in a JoinedSet is its index.
   * Its `prefix` is the route prefix of the (possibly encapsulated) context it was registered in:
   * requests that never reach routing (the early path) are matched against it, as the hooks of
   * an encapsulated context only ever see requests under its prefix.
   */
  readonly enlisted: Array<Enlisted<Req, Rep>> = []
  /** `enlisted` in departure order. */
  private departures: Array<Enlisted<Req, Rep>> = []
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

  /** The route facts a request was joined with, if a participant joined it after routing. */
  joinedRoute (request: Req): RouteFacts | null {
    const ctx = request.waf as JoinedContext | null | undefined
    return ctx == null ? null : ctx[kJoinedRoute]
  }

  /** The request's context, created on first use. */
  context (request: Req): WafContext {
    let ctx = request.waf as WafContext | null | undefined
    if (ctx === null || ctx === undefined) {
      // The framework's view of the client (trustProxy), read while the connection is surely there.
      ctx = this.factory.create(request.raw, Date.now(), request.ip)
      request.waf = ctx
    }
    return ctx
  }

  /** Adds a participant once, in the prefix `scope` it was registered in; returns its entry. */
  enlist (p: Participant<Req, Rep>, scope: { prefix: string } | undefined): Enlisted<Req, Rep> {
    let at = this.participants.indexOf(p)
    if (at === -1) {
      JoinedSet.check(p.key)
      if (this.participants.length >= JoinedSet.MAX) {
        throw new RangeError(`fastify-waflog: at most ${JoinedSet.MAX} waf plugin registrations per app`)
      }
      at = this.participants.push(p) - 1
      this.enlisted.push(new Enlisted(p, at))
      this.departures = departureOrder(this.participants).map(i => this.enlisted[i])
    }
    const entry = this.enlisted[at]
    if (scope !== undefined) entry.prefix = scope.prefix
    return entry
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
   * Joins each of `entries`, in order, for this request where its switch says so: marks
   * `ctx.enabled`, lines it up for departure and runs its `arrive`; stops at the first that
   * answers the request (JOIN_REPLIED). `route` is null on the early path (a request the
   * framework answered before routing): every entry then joins, and none can answer.
   */
  join (entries: ReadonlyArray<Enlisted<Req, Rep>>, request: Req, reply: Rep, route: RouteFacts | null): JoinResult {
    const ctx = this.context(request) as JoinedContext
    const early = route === null
    if (!early) ctx[kJoinedRoute] = route
    let result: JoinResult = JOIN_SKIPPED
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]
      if (early && !inScope(e.prefix, request.url)) continue
      const mask = ctx[kJoinedMask] ?? 0
      // A plugin registered both in a scope and in one nested in it sees the request once.
      if (mask !== 0 && JoinedSet.has(mask, e.keyBit)) continue
      const on = route === null ? undefined : route.on[e.index]
      if (on === false) continue
      if (on === undefined && !e.enabled(route?.url, request.url, route?.waf)) continue
      enable(ctx.enabled, e.key)
      if (mask === 0) this.track(request, reply)
      ctx[kJoinedMask] = mask + e.bits
      result = JOIN_JOINED
      if (e.arrive(request, reply, ctx, early) && !early) return JOIN_REPLIED
    }
    return result
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

  /** Finishes the request once: sizes first, then each participant in departure order. */
  depart (request: Req, reply: Rep): void {
    const ctx = request.waf as JoinedContext | null | undefined
    // `?? 0`: a context an app or a test made by hand has no mask: nothing joined it.
    const mask = ctx == null ? 0 : ctx[kJoinedMask] ?? 0
    if (ctx == null || mask === 0 || JoinedSet.departed(mask)) return
    ctx[kJoinedMask] = JoinedSet.markDeparted(mask)
    const raw = request.raw
    const socket = raw.socket
    if (socket != null) {
      const state = existingSocketState(socket)
      if (state !== undefined && state.inFlight === raw) state.inFlight = null
    }
    settleSizes(ctx, raw, reply.raw)
    const order = this.departures
    for (let i = 0; i < order.length; i++) {
      const e = order[i]
      if (!e.departs || !JoinedSet.has(mask, e.bit)) continue
      try {
        e.depart(request, reply, ctx)
      } catch (err) {
        this.reportError(err, e.key)
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
    const ctx = this.factory.createFor(refused.host, undefined, Date.now(), socket.remoteAddress)
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
      .filter((p, i) => {
        if ((p.clientError === undefined && p.clientErrorArrive === undefined) || keys.has(p.key)) return false
        if (!inScope(this.enlisted[i].prefix, target) || !p.enabled(undefined, target, undefined)) return false
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

/** Whether a request target lies in the scope of route prefix `prefix` ('' for the root). */
function inScope (prefix: string, url: string): boolean {
  return prefix.length === 0 || underPrefix(pathOf(url), prefix)
}
