import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { resolveNodeName } from '../lib/node-name.js'
import { validateRouteToggles } from '../lib/lifecycle/switches.js'
import type { RouteToggle } from '../lib/lifecycle/switches.js'
import { checkOptionNames } from '../lib/options.js'
import { wafSocket } from './socket.js'
import { coreOf } from './core.js'
import type { WafSocketOptions } from './socket.js'
import { wafForensic } from './forensic.js'
import type { WafForensicOptions } from './forensic.js'
import { wafRules } from './rules.js'
import type { WafRulesOptions } from './rules.js'
import { wafAttackLog } from './attack-log.js'
import type { WafAttackLogOptions } from './attack-log.js'
import { wafAccessLog } from './access-log.js'
import type { WafAccessLogOptions } from './access-log.js'
import { wafHeartbeat } from './heartbeat.js'
import type { WafHeartbeatOptions } from './heartbeat.js'

/** A plugin section's options without the switches the umbrella sets itself. */
type Section<T> = Omit<T, 'routes'> | false

export interface WafOptions {
  /** The channels every log writes through (`waf-socket`). */
  transport: WafSocketOptions
  /** `waf-forensic`; `false` leaves it out. */
  forensic?: Section<WafForensicOptions>
  /** `waf-rules`; `false` leaves it out. */
  rules?: Section<WafRulesOptions>
  /** `waf-attack-log`; `false` leaves it out. */
  attack?: Section<WafAttackLogOptions>
  /** `waf-access-log`; `false` leaves it out. */
  access?: Section<WafAccessLogOptions>
  /** `waf-heartbeat`; `false` leaves it out. */
  heartbeat?: Section<WafHeartbeatOptions>
  /** Per-prefix switches: the longest matching prefix decides, per plugin. */
  routes?: RouteToggle[]
  /**
   * The machine's name in the access and attack records (`node`) and the heartbeat (`node`, and
   * the graphite paths). Default the host name; a section's own `node` wins.
   */
  node?: string
}

const SECTIONS = ['forensic', 'rules', 'attack', 'access', 'heartbeat'] as const
const KNOWN = new Set<string>(['transport', 'routes', 'node', ...SECTIONS])

function section<T extends object> (opts: WafOptions, key: typeof SECTIONS[number]): T | false {
  const v = opts[key] as unknown
  if (v === false) return false
  if (v === undefined) return {} as T
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new TypeError(`waf: option "${key}" must be that plugin's options object, or false to leave the plugin out`)
  }
  if ('routes' in v) throw new TypeError(`waf: option "${key}.routes" is not an option; give per-prefix switches in the top-level "routes"`)
  return v as T
}

/**
 * The all-in-one plugin: the transport, then the forensic log ("+" first), the rule check (before
 * the handler), the attack and access logs, and the heartbeat. The core finishes each request in a
 * fixed order whatever the registration order: attack, access, heartbeat, and the forensic "-"
 * line last.
 */
export const waf = fp<WafOptions>(async function waf (app: FastifyInstance, opts: WafOptions) {
  checkOptionNames('waf', opts, KNOWN, 'an object with "transport"')
  if (opts.transport === null || typeof opts.transport !== 'object') {
    throw new TypeError('waf: option "transport" must be the waf-socket options ({ channels: … })')
  }
  const routes = validateRouteToggles('waf', opts.routes)
  const forensic = section<WafForensicOptions>(opts, 'forensic')
  const rules = section<WafRulesOptions>(opts, 'rules')
  const attack = section<WafAttackLogOptions>(opts, 'attack')
  const access = section<WafAccessLogOptions>(opts, 'access')
  const heartbeat = section<WafHeartbeatOptions>(opts, 'heartbeat')

  // Checked here too, so that an error names the umbrella's option rather than a section's.
  const node = opts.node === undefined ? {} : { node: resolveNodeName('waf', opts.node) }

  await app.register(wafSocket, opts.transport)
  // One onRequest hook for every plugin below instead of one each (see WafCore.collectJoinHooks).
  const joinHooksCollected = coreOf(app).collectJoinHooks(app)
  // 'turn': one write per event-loop turn for the "+" lines (see WafForensicOptions.immediate).
  if (forensic !== false) await app.register(wafForensic, { immediate: 'turn', ...forensic, routes })
  if (rules !== false) await app.register(wafRules, { ...rules, routes })
  if (attack !== false) await app.register(wafAttackLog, { ...node, ...attack, routes })
  if (access !== false) await app.register(wafAccessLog, { ...node, ...access, routes })
  if (heartbeat !== false) await app.register(wafHeartbeat, { ...node, ...heartbeat, routes })
  joinHooksCollected()
}, { name: 'waf', fastify: '5.x' })

export default waf

/**
 * The transport plugin under its one name: the name of what it decorates (`app.wafTransport`) and
 * of the umbrella's `transport` section. `wafSocket` is the same plugin under its earlier name,
 * kept; either one registers as the Fastify plugin `waf-socket`, which the other plugins depend on.
 */
export const wafTransport = wafSocket
export type WafTransportOptions = WafSocketOptions

export { wafSocket, wafForensic, wafRules, wafAttackLog, wafAccessLog, wafHeartbeat }
export type { WafSocketOptions, WafForensicOptions, WafRulesOptions, WafAttackLogOptions, WafAccessLogOptions, WafHeartbeatOptions, RouteToggle }
export { answerRequestTimeout, wafServerOptions } from './core.js'
export type { WafServerOptions } from './server-options.js'
export { wafUpstream, wafRateLimitHooks, markCc } from './upstream.js'
export type { WafUpstreamOptions, WafUpstreamHooks, WafRateLimitHookOptions } from './upstream.js'
export { wafForward } from './forward.js'
export type { WafForward, WafForwardOptions } from './forward.js'
export { Forwarder } from '../lib/proxy/forwarder.js'
export type { ForwarderOptions } from '../lib/proxy/forwarder.js'
export { wafRateLimitRedis, wafRateLimitKey, domainOfWafKey } from './rate-limit-redis.js'
export type { WafRateLimitRedisOptions, WafRateLimitRedisSettings } from './rate-limit-redis.js'
export type { WafContext, WafPolicy, WafMode, WafAction, AttackEntry, UpstreamInfo, PluginKey } from '../lib/lifecycle/context.js'
export type { Channel, ChannelStats, Transport } from '../lib/transport/types.js'
export type { ChannelOptions, ChannelDefaults } from '../lib/transport/types.js'
export type { LogFramework } from '../lib/log/framework.js'
export type { FilterSpec, LogRecord, StreamFields, TsvType, WriterKind } from '../lib/log/types.js'
export type { WafStreams } from '../lib/records/streams.js'
export type { AccessRecord } from '../lib/records/access-record.js'
export type { AttackRecord, AttackRecordEntry } from '../lib/records/attack-record.js'
export type { ModsecAuditRecord } from '../lib/rules/modsec-audit.js'
export type { ForensicRecord } from '../lib/records/forensic-record.js'
export type { HeartbeatReport, GraphiteRecord } from '../lib/heartbeat/heartbeat.js'
export type { HeartbeatRecord } from '../lib/heartbeat/report.js'
export type { RouteWafConfig, PrefixOptions } from '../lib/lifecycle/switches.js'
export { detectSQLi, detectXSS } from '../lib/rules/libinjection/index.js'
