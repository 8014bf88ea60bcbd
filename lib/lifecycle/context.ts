import type { IncomingMessage } from 'node:http'
import { performance } from 'node:perf_hooks'
import { uniqueId } from './unique-id.js'
import { http2View, requestHost } from '../http2.js'
import { PolicyTable } from './policy.js'
import type { WafPolicy } from './policy.js'

export type WafAction = 'pass' | 'log' | 'deny'
export type PluginKey = 'forensic' | 'rules' | 'access' | 'attack' | 'heartbeat'
export const PLUGIN_KEYS: readonly PluginKey[] = ['forensic', 'rules', 'access', 'attack', 'heartbeat']

export interface AttackEntry {
  ruleId: string
  msg: string
  detectType: string
  severity: string
  tags: string[]
  /** Where the payload was found, as `ARGS:q` or `REQUEST_HEADERS:User-Agent`. */
  location: string
  /** The matched value, cut to the rules plugin's `maxPayload`. */
  payload: string
  /** What was done: `deny` for the match that denied the request, `log` for every other (detect mode included). */
  action: WafAction
  /** The rule's own disruptive action (`deny`, `drop`, `pass`, `allow`; `block` resolved by SecDefaultAction), whatever the mode made of it. */
  disruptive?: string
  /** The anomaly score the rule added, for SecLang rule sets that score. */
  score?: number
  /** The phase the match was made in: 1–2 the request, 3 the response head, 4 its body, 5 logging. */
  phase?: number
  /** The rule's logdata, macros expanded (`Matched Data: … found within ARGS:q: …`). */
  logdata?: string
  /** The rule's CRS paranoia level (its `paranoia-level/N` tag). */
  paranoia?: number
  /** The rule file and line. */
  file?: string
  line?: number
  /** ModSecurity metadata of the rule, for the modsec-json audit record. */
  ver?: string
  rev?: string
  maturity?: string
  accuracy?: string
}

export interface UpstreamInfo {
  /** `host:port` of the upstream that answered. */
  addr: string
  status: number
  /** Epoch ms when the request was sent upstream. */
  startedAt: number
  durationMs: number
}

export interface WafContext {
  /** The forensic / unique id, also sent upstream as the request id. */
  id: string
  /** Epoch ms. */
  startedAt: number
  /** `performance.now()` at creation, for latencies. */
  startedHr: number
  /** The Host header (HTTP/2: `:authority`) without its port, lowercased. */
  domain: string
  /**
   * The client's address as the app sees it (Fastify's `request.ip`, which follows `trustProxy`),
   * read when the request arrived: every log and the rule check report this one.
   */
  clientIp: string | undefined
  policy: WafPolicy
  attacks: AttackEntry[]
  action: WafAction
  bot: boolean
  cc: boolean
  upstream?: UpstreamInfo
  /** Bytes of the request line, headers and body, filled when the response ends. */
  bytesIn: number
  /** Bytes of the response, headers included, filled when the response ends. */
  bytesOut: number
  /** Time spent in the rule check, in ms. */
  wafMs: number
  /** Which plugins run for this request. Each plugin sets its own switch when its first hook runs. */
  enabled: Record<PluginKey, boolean>
}

/**
 * The lifecycle's own state of a request, on its context (symbol keys: not part of WafContext,
 * never in a record): which participants joined it (a JoinedSet mask) and the route facts it was
 * joined with. On the context rather than as request decorators because Fastify sets every request
 * decorator in one loop of stores by computed key, a megamorphic store per decorator per request
 * once there are two or more; the context is one object literal, whose shape is made once.
 */
export const kJoinedMask = Symbol('waf.joined')
export const kJoinedRoute = Symbol('waf.route')
/** The same for the rule check: its per-request state (lib/rules/request-check.ts), null where the rules do not run. */
export const kRuleCheck = Symbol('waf.ruleCheck')

export { DEFAULT_POLICY, PolicyTable } from './policy.js'
export type { PolicyResolver, WafMode, WafPolicy } from './policy.js'

/**
 * The domain of a Host header: the port cut, lowercased. Bracketed IPv6 literals keep
 * their brackets. A missing Host gives the empty string.
 */
export function domainOf (host: string | undefined): string {
  if (host === undefined || host.length === 0) return ''
  let end = host.length
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf(']')
    if (close !== -1) end = close + 1
  } else {
    const colon = host.indexOf(':')
    if (colon !== -1) end = colon
  }
  const name = end === host.length ? host : host.slice(0, end)
  return hasUpper(name) ? name.toLowerCase() : name
}

function hasUpper (s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 65 && c <= 90) return true
  }
  return false
}

/**
 * Builds contexts for one app. It holds the app's policy table, so that every plugin that creates
 * a context first resolves the same policy, whichever plugin that is.
 */
export class ContextFactory {
  readonly policies = new PolicyTable()

  /**
   * `clientIp` is the client as the app sees it (a framework's view, which follows a trusted
   * proxy), the socket's peer by default: given, the socket is not asked a second time.
   */
  create (req: IncomingMessage, now: number = Date.now(), clientIp: string | undefined = req.socket?.remoteAddress): WafContext {
    // An HTTP/2 stream's socket reads nothing once it has closed: its view is taken now.
    if (req.httpVersionMajor === 2) http2View(req)
    return this.createFor(requestHost(req), req, now, clientIp)
  }

  /**
   * A context from a Host value alone, for requests that never became an IncomingMessage (those
   * the HTTP parser refused). A policy function is not consulted without a request.
   */
  createFor (host: string | undefined, req: IncomingMessage | undefined, now: number = Date.now(), clientIp: string | undefined = req?.socket?.remoteAddress): WafContext {
    const domain = domainOf(host)
    const ctx: WafContext & { [kJoinedMask]: number, [kJoinedRoute]: null, [kRuleCheck]: null } = {
      id: uniqueId(now),
      startedAt: now,
      startedHr: performance.now(),
      domain,
      clientIp,
      policy: this.policies.resolve(domain, req),
      attacks: [],
      action: 'pass',
      bot: false,
      cc: false,
      upstream: undefined,
      bytesIn: 0,
      bytesOut: 0,
      wafMs: 0,
      enabled: { forensic: false, rules: false, access: false, attack: false, heartbeat: false },
      [kJoinedMask]: 0,
      [kJoinedRoute]: null,
      [kRuleCheck]: null
    }
    return ctx
  }
}

/** A standalone constructor, for code outside a Fastify app (tools, tests). */
export function createContext (req: IncomingMessage, factory: ContextFactory = new ContextFactory()): WafContext {
  return factory.create(req)
}
