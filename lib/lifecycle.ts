import type { PluginKey, WafContext } from './context.js'

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
  remoteAddress: string | undefined
  remotePort: number | undefined
}

/**
 * The participants one request has passed through, kept sorted by departure order. It is small
 * (one entry per plugin), so insertion sort beats anything cleverer.
 */
export class Departures<Req, Rep> {
  private readonly list: Array<Participant<Req, Rep>> = []
  private done = false

  constructor (readonly request: Req, readonly reply: Rep) {}

  /** Whether a participant of this plugin has joined (a plugin registered in two nested scopes joins once). */
  has (key: PluginKey): boolean {
    const list = this.list
    for (let i = 0; i < list.length; i++) if (list[i].key === key) return true
    return false
  }

  add (p: Participant<Req, Rep>): void {
    const list = this.list
    let i = list.length
    while (i > 0 && list[i - 1].order > p.order) i--
    list.splice(i, 0, p)
  }

  /** Runs every participant's `depart` once; later calls do nothing. An error in one never stops the rest. */
  run (ctx: WafContext, onError: (err: unknown, key: PluginKey) => void): void {
    if (this.done) return
    this.done = true
    for (const p of this.list) {
      if (p.depart === undefined) continue
      try {
        p.depart(this.request, this.reply, ctx)
      } catch (err) {
        onError(err, p.key)
      }
    }
  }

  get finished (): boolean {
    return this.done
  }
}
