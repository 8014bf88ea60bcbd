import cluster from 'node:cluster'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { WafContext } from '../lib/lifecycle/context.js'
import { DEPART_ORDER } from '../lib/lifecycle/participant.js'
import type { ClientErrorInfo } from '../lib/lifecycle/participant.js'
import { parseRefusedRequest } from '../lib/access/source.js'
import { inputFromRawHead } from '../lib/rules/node-input.js'
import { plainAddress } from '../lib/access/request-parts.js'
import { sourceRequestOf } from '../lib/http2.js'
import type { LogFramework } from '../lib/log/framework.js'
import { PluginSwitch, participantSwitch, validateRouteToggles } from '../lib/lifecycle/switches.js'
import type { PrefixOptions, RouteToggle } from '../lib/lifecycle/switches.js'
import type { WafStreams } from '../lib/records/streams.js'
import { buildAttackRecord } from '../lib/records/attack-record.js'
import { modsecAuditOf } from './attack-log-modsec.js'
import { packageVersion } from '../lib/heartbeat/identity.js'
import { DEFAULT_REDACT_REQUEST_HEADERS } from '../lib/redaction.js'
import { resolveNodeName } from '../lib/node-name.js'
import { checkBoolean, checkChannel, checkHeaderNames, checkOptionNames } from '../lib/options.js'
import type { ChannelNames } from '../lib/options.js'
import { coreOf } from './core.js'
import type { WafParticipant } from './core.js'

export type { AttackRecord, AttackRecordEntry } from '../lib/records/attack-record.js'

export interface WafAttackLogOptions extends PrefixOptions {
  /** The channel of the `default` filter of the `attack` stream (`'attack'`). */
  channel?: string
  /** Write the request headers (redacted) in each record (default true). */
  includeHeaders?: boolean
  /** Header names (any case) whose values are written `REDACTED`. Default: authorization, proxy-authorization, cookie. */
  redactHeaders?: string[]
  /** The record's `node`: the machine's name. Default the host name (`os.hostname()`). */
  node?: string
  /**
   * `json` (default): the attack record of DESIGN.md. `modsec-json`: ModSecurity v3's JSON audit
   * record (`SecAuditLogFormat JSON`), for pipelines built for libmodsecurity3's audit log.
   */
  format?: 'json' | 'modsec-json'
  /** Set by the umbrella `waf` plugin. */
  routes?: RouteToggle[]
}

export const DEFAULT_ATTACK_REDACT: readonly string[] = DEFAULT_REDACT_REQUEST_HEADERS

const OWNER = 'waf-attack-log'
const KNOWN = new Set(['channel', 'includeHeaders', 'redactHeaders', 'node', 'format', 'include', 'exclude', 'routes'])
const defaultChannels = new WeakMap<LogFramework<WafStreams>, string>()

function validate (opts: WafAttackLogOptions, channels: ChannelNames): string {
  checkOptionNames(OWNER, opts, KNOWN)
  const channel = checkChannel(OWNER, opts.channel, 'attack', channels)
  if (opts.format !== undefined && opts.format !== 'json' && opts.format !== 'modsec-json') throw new TypeError(`${OWNER}: option "format" must be "json" or "modsec-json"`)
  checkBoolean(OWNER, 'includeHeaders', opts.includeHeaders)
  checkHeaderNames(OWNER, 'redactHeaders', opts.redactHeaders, '', false)
  return channel
}

export const wafAttackLog = fp<WafAttackLogOptions>(async function wafAttackLog (app: FastifyInstance, opts: WafAttackLogOptions) {
  const core = coreOf(app)
  const channel = validate(opts, core.transport)
  const log = core.log
  const existing = defaultChannels.get(log)
  if (existing === undefined) {
    log.addFilter('attack', { name: 'default', channel, writer: 'json' })
    defaultChannels.set(log, channel)
  } else if (existing !== channel) {
    throw new TypeError(`${OWNER}: registered again with another "channel"; the attack stream has one default filter (add more with app.wafLog.addFilter)`)
  }
  const o = {
    redact: new Set((opts.redactHeaders ?? DEFAULT_ATTACK_REDACT).map(h => h.toLowerCase())) as ReadonlySet<string>,
    includeHeaders: opts.includeHeaders !== false,
    worker: cluster.isWorker && cluster.worker !== undefined ? cluster.worker.id : 0,
    node: resolveNodeName(OWNER, opts.node)
  }
  const sw = new PluginSwitch('attack', OWNER, opts, validateRouteToggles(OWNER, opts.routes))
  const modsec = opts.format === 'modsec-json' ? modsecAuditOf(app, o.redact, await packageVersion()) : undefined

  const participant: WafParticipant = {
    key: 'attack',
    order: DEPART_ORDER.attack,
    ...participantSwitch(sw),
    depart (request: FastifyRequest, _reply: FastifyReply, ctx: WafContext) {
      if (ctx.attacks.length === 0) return
      const clientIp = plainAddress(ctx.clientIp) ?? ''
      if (modsec !== undefined) log.write('attack', modsec(request.raw, _reply.raw, ctx, clientIp, request.raw.socket?.remotePort ?? 0, _reply.raw.statusCode))
      else log.write('attack', buildAttackRecord(sourceRequestOf(request.raw), ctx, clientIp, o))
    },
    clientError (info: ClientErrorInfo) {
      const ctx = info.ctx
      if (ctx.attacks.length === 0) return
      const req = parseRefusedRequest(info.rawPacket, info.remoteAddress, info.remotePort)
      if (req.method === undefined && info.requestLine !== undefined) {
        // A request line the parser could not read: its words as received, leniently.
        const words = inputFromRawHead(info.requestLine, [], undefined)
        req.method = words.method
        req.url = words.url
      }
      const clientIp = plainAddress(info.remoteAddress) ?? ''
      if (modsec !== undefined) log.write('attack', modsec(req, undefined, ctx, clientIp, info.remotePort ?? 0, info.status))
      else log.write('attack', buildAttackRecord(req, ctx, clientIp, o))
    }
  }
  core.addJoinHook(app, participant)
}, { name: 'waf-attack-log', fastify: '5.x', dependencies: ['waf-socket'] })

export default wafAttackLog
