import type { PluginKey, WafContext } from './context.js'
import type { RawHead } from './raw-head.js'

/**
 * The order in which the log plugins finish a request. The attack and access lines come before
 * the forensic "-" line, so a "-" line proves that every other line of the request was written.
 */
export const DEPART_ORDER: Readonly<Record<PluginKey, number>> = Object.freeze({
  rules: 0,
  attack: 10,
  access: 20,
  heartbeat: 30,
  forensic: 100
})

/**
 * One plugin registration's part in a request. `Req` and `Rep` are the framework's request and
 * reply types; lib code never needs to know them.
 */
export interface Participant<Req, Rep> {
  readonly key: PluginKey
  /** Lower departs first; see DEPART_ORDER. */
  readonly order: number
  /**
   * Decides whether the plugin handles this request: `routeUrl` is the route pattern (undefined
   * when no route matched), `url` the request target, `config` the route's `config.waf`.
   */
  enabled(routeUrl: string | undefined, url: string, config: unknown): boolean
  /**
   * The same decision when the route alone makes it (a static pattern, a route config that turns
   * the plugin off), asked once per route; undefined when it depends on the request's path.
   */
  enabledOnRoute?(routeUrl: string | undefined, config: unknown): boolean | undefined
  /**
   * Runs when the request arrives. `early` is true for requests the framework answered before any
   * hook could run (a malformed URL): the participant must then only record, never reply.
   * Returns `true` when it has answered the request itself (a 403, a 503): the request then goes
   * no further (no later onRequest hook, no handler).
   */
  arrive?(request: Req, reply: Rep, ctx: WafContext, early: boolean): boolean | void
  /** Runs once when the response has ended or the client has gone. */
  depart?(request: Req, reply: Rep, ctx: WafContext): void
  /**
   * Runs for a request the HTTP parser refused (a bad request line, a bad header byte, headers
   * too large): there is no request object, only what the parser had received. Participants run
   * in departure order, like `depart`.
   */
  clientError?(info: ClientErrorInfo): void
  /**
   * For the same requests, runs before any participant's `clientError`, as `arrive` runs before
   * any `depart` (the forensic "+" line, so that it comes before the other lines of the request).
   */
  clientErrorArrive?(info: ClientErrorInfo): void
}

/** A request refused by the HTTP parser, as far as it could be read. */
export interface ClientErrorInfo {
  ctx: WafContext
  /** The status sent back: 400, or 431 for headers too large. */
  status: number
  /** The parser's error code, such as `HPE_INVALID_METHOD`. */
  code: string
  /** The bytes the parser had received (the start of the request), when Node kept them. */
  rawPacket: Buffer | undefined
  /** The first line of `rawPacket` (latin1, without CRLF), when there is one. */
  requestLine: string | undefined
  /** `rawPacket` read as a request head, when it starts with a request line (read once, for every participant). */
  head: RawHead | undefined
  remoteAddress: string | undefined
  remotePort: number | undefined
  /** Header lines of the error response, which `clientErrorArrive` may add to (the request id). */
  responseHeaders: Array<[string, string]>
}

/**
 * Participants of an app in departure order: indexes into `participants`, by `order`, then by
 * registration. Computed when a participant registers, never per request.
 */
export function departureOrder (participants: ReadonlyArray<{ readonly order: number }>): number[] {
  return participants.map((_, i) => i).sort((a, b) => participants[a].order - participants[b].order || a - b)
}
