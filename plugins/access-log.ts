import cluster from 'node:cluster'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DEPART_ORDER } from '../lib/lifecycle/participant.js'
import { accessLogged } from '../lib/lifecycle/policy.js'
import type { ClientErrorInfo } from '../lib/lifecycle/participant.js'
import { PluginSwitch, participantSwitch, validateRouteToggles } from '../lib/lifecycle/switches.js'
import type { PrefixOptions, RouteToggle } from '../lib/lifecycle/switches.js'
import type { WafContext } from '../lib/lifecycle/context.js'
import type { FilterSpec, RecordProducer, RecordSource } from '../lib/log/types.js'
import type { LogFramework } from '../lib/log/framework.js'
import type { WafStreams } from '../lib/records/streams.js'
import type { Escape } from '../lib/text/escape.js'
import type { FormatDefinition } from '../lib/access/formats.js'
import { accessProducer } from '../lib/records/access-record.js'
import type { AccessRecord } from '../lib/records/access-record.js'
import { requestSource, refusedSource } from '../lib/access/source.js'
import { noteArrival, noteDeparture } from '../lib/access/connection.js'
import { checkAccessLogOptions } from '../lib/access/options.js'
import { TSV_COLUMNS, TSV_TYPES } from '../lib/records/access-tsv.js'
import { DEFAULT_REDACT_REQUEST_HEADERS } from '../lib/redaction.js'
import { resolveNodeName } from '../lib/node-name.js'
import { coreOf } from './core.js'
import type { WafParticipant } from './core.js'

export type { AccessRecord } from '../lib/records/access-record.js'
export type { Escape } from '../lib/text/escape.js'
export type { FormatDefinition } from '../lib/access/formats.js'

export interface WafAccessLogOptions extends PrefixOptions {
  /** The channel of `waf-socket` the default filter writes to. Default `access`. */
  channel?: string
  /**
   * `json` (default: the Kong-style record), `combined` (nginx's), `tsv` (Zeek ASCII), the name of
   * a format in `formats`, or an nginx `log_format` string.
   */
  format?: string
  /** Named nginx formats, usable here and by any filter with `writer: 'nginx'`. */
  formats?: Record<string, string | FormatDefinition>
  /** The escaping of variable values in nginx formats, with nginx's rules. Default `default`. */
  escape?: Escape
  /**
   * Like nginx `access_log … if=`: `false` skips the line. For a request the HTTP parser refused
   * there is no Fastify request or reply, and both are `undefined`.
   */
  condition?: (rec: AccessRecord, request?: FastifyRequest, reply?: FastifyReply) => boolean
  /** Fields added to (or replacing fields of) the JSON record, like Kong's custom fields. */
  customFields?: (request: FastifyRequest, reply: FastifyReply) => Record<string, unknown>
  /** Header names (any case) whose values are written `REDACTED`, in requests and responses. */
  redactHeaders?: string[]
  /** The record's `node`: the machine's name. Default the host name (`os.hostname()`). */
  node?: string
  /** Set by the umbrella `waf` plugin. */
  routes?: RouteToggle[]
}

export const DEFAULT_REDACT_HEADERS: readonly string[] = [...DEFAULT_REDACT_REQUEST_HEADERS, 'set-cookie']

const OWNER = 'waf-access-log'

/** The default filter each registration wants, to detect two registrations that disagree. */
const defaultFilters = new WeakMap<LogFramework<WafStreams>, string>()

/** The default filter of the access stream for these options. */
function defaultFilter (opts: WafAccessLogOptions, channel: string): FilterSpec<AccessRecord> {
  const format = opts.format ?? 'json'
  if (format === 'json') return { name: 'default', channel, writer: 'json' }
  if (format === 'tsv') return { name: 'default', channel, writer: 'tsv' }
  return { name: 'default', channel, writer: 'nginx', format, ...(opts.escape === undefined ? {} : { escape: opts.escape }) }
}

function customized (rec: AccessRecord, fields: unknown): AccessRecord {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new TypeError(`${OWNER}: option "customFields" must return an object`)
  }
  return Object.assign(rec, fields)
}

export const wafAccessLog = fp<WafAccessLogOptions>(async function wafAccessLog (app: FastifyInstance, opts: WafAccessLogOptions) {
  const core = coreOf(app)
  checkAccessLogOptions(OWNER, opts, core.transport)
  const channel = opts.channel ?? 'access'
  const log = core.log
  for (const [name, def] of Object.entries(opts.formats ?? {})) log.formats.define(name, def, `${OWNER}: option "formats"`)

  // Its TSV columns, for the default filter and any tsv filter added without `include`.
  log.declareFields('access', { columns: TSV_COLUMNS, types: TSV_TYPES })
  const spec = defaultFilter(opts, channel)
  const key = JSON.stringify([spec.channel, spec.writer, spec.format, spec.escape])
  const existing = defaultFilters.get(log)
  if (existing === undefined) {
    log.addFilter('access', spec)
    defaultFilters.set(log, key)
  } else if (existing !== key) {
    throw new TypeError(`${OWNER}: registered again with another "channel", "format" or "escape"; the access stream has one default filter (add more with app.wafLog.addFilter)`)
  }

  const redact: ReadonlySet<string> = new Set((opts.redactHeaders ?? DEFAULT_REDACT_HEADERS).map(h => h.toLowerCase()))
  const worker = cluster.isWorker && cluster.worker !== undefined ? cluster.worker.id : 0
  const producer: RecordProducer<AccessRecord> = accessProducer(worker, resolveNodeName(OWNER, opts.node))
  const condition = opts.condition
  const customFields = opts.customFields
  const sw = new PluginSwitch('access', OWNER, opts, validateRouteToggles(OWNER, opts.routes))

  const participant: WafParticipant = {
    key: 'access',
    order: DEPART_ORDER.access,
    ...participantSwitch(sw),
    arrive (request: FastifyRequest) {
      noteArrival(request.raw)
    },
    depart (request: FastifyRequest, reply: FastifyReply, ctx: WafContext) {
      noteDeparture(request.raw)
      if (!accessLogged(ctx.policy)) return
      const src: RecordSource = requestSource(request.raw, reply.raw, ctx, ctx.clientIp, redact)
      if (condition === undefined && customFields === undefined) {
        log.writeFrom('access', src, producer)
        return
      }
      let rec = producer.build(src)
      if (customFields !== undefined) rec = customized(rec, customFields(request, reply))
      if (condition !== undefined && !condition(rec, request, reply)) return
      log.write('access', rec)
    },
    clientError (info: ClientErrorInfo) {
      if (!accessLogged(info.ctx.policy)) return
      const src = refusedSource(info, redact)
      if (condition === undefined) {
        log.writeFrom('access', src, producer)
        return
      }
      const rec = producer.build(src)
      if (condition(rec, undefined, undefined)) log.write('access', rec)
    }
  }
  core.addJoinHook(app, participant)
}, { name: 'waf-access-log', fastify: '5.x', dependencies: ['waf-socket'] })

export default wafAccessLog
