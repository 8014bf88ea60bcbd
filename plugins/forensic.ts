import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { IncomingMessage } from 'node:http'
import type { WafContext } from '../lib/lifecycle/context.js'
import { DEPART_ORDER } from '../lib/lifecycle/participant.js'
import type { ClientErrorInfo } from '../lib/lifecycle/participant.js'
import { formatMinusLine, formatPlusLine, formatRequestPlusLine } from '../lib/forensic/line.js'
import { HeaderNameSet } from '../lib/forensic/headers.js'
import { requestRawHeaders } from '../lib/http2.js'
import { FLUSH_BATCH, FLUSH_NOW, FLUSH_TURN, ForensicLog } from '../lib/forensic/log.js'
import type { Flush, ForensicStats } from '../lib/forensic/log.js'
import { checkBoolean, checkChannel, checkHeaderNames, checkOneOf, checkOptionNames, isHeaderName } from '../lib/options.js'
import type { ChannelNames } from '../lib/options.js'
import { PluginSwitch, participantSwitch, validateRouteToggles } from '../lib/lifecycle/switches.js'
import type { PrefixOptions, RouteToggle } from '../lib/lifecycle/switches.js'
import { DEFAULT_REDACT_REQUEST_HEADERS } from '../lib/redaction.js'
import { coreOf } from './core.js'
import type { WafCore, WafParticipant } from './core.js'

/** What happens when a forensic line cannot be written. */
export type { ForensicStats } from '../lib/forensic/log.js'
export type { ForensicRecord } from '../lib/records/forensic-record.js'

export type ForensicWriteFailure = 'drop' | 'reject' | 'exit'

export interface WafForensicOptions extends PrefixOptions {
  /** The channel of the `default` filter of the `forensic` stream (`'forensic'`). */
  channel?: string
  /** Header names whose values are logged as `REDACTED` (`authorization`, `proxy-authorization`, `cookie`); `[]` logs every header as received. */
  redact?: string[]
  /** `'drop'` counts and carries on (default); `'reject'` answers 503 without running the handler; `'exit'` ends the process, as httpd does. */
  onWriteFailure?: ForensicWriteFailure
  /** A response header that carries the request id back, such as `'x-request-id'`. */
  responseHeader?: string
  /**
   * When a "+" line is written. `true` (the default): its write starts at once, before the
   * handler runs, as httpd writes it, so that a request which hangs or kills the process leaves
   * its line behind. `'turn'`: the "+" lines of one event-loop turn go out together in one write
   * when the turn ends: much cheaper under load, and still before anything the request waits for
   * (I/O, timers) completes; only a request that kills or blocks the process synchronously in the
   * turn it arrived in loses its line (and those of the same turn). `false`: "+" lines wait for
   * the channel's `flushLimit` / `flushInterval`; a crash loses what was queued.
   */
  immediate?: boolean | 'turn'
  /** Also log requests that the HTTP parser refused, from the bytes received (true; httpd logs none of them). Needs `wafServerOptions()`. */
  clientErrors?: boolean
  /** Set by the umbrella `waf` plugin. */
  routes?: RouteToggle[]
}

export interface WafForensicDecorator {
  stats(): ForensicStats
  /** The channel of the `default` filter. */
  readonly channel: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The forensic log's counters. */
    wafForensic: WafForensicDecorator
  }
}

export const DEFAULT_REDACT: readonly string[] = DEFAULT_REDACT_REQUEST_HEADERS

const KNOWN = new Set(['channel', 'redact', 'onWriteFailure', 'responseHeader', 'immediate', 'clientErrors', 'include', 'exclude', 'routes'])
const FAILURE_MODES: readonly ForensicWriteFailure[] = ['drop', 'reject', 'exit']

function validate (opts: WafForensicOptions, channels: ChannelNames): string {
  checkOptionNames('waf-forensic', opts, KNOWN)
  const channel = checkChannel('waf-forensic', opts.channel, 'forensic', channels)
  checkHeaderNames('waf-forensic', 'redact', opts.redact, ', such as ["authorization", "cookie"]')
  checkOneOf('waf-forensic', 'onWriteFailure', opts.onWriteFailure, FAILURE_MODES)
  if (opts.responseHeader !== undefined && !isHeaderName(opts.responseHeader)) {
    throw new TypeError('waf-forensic: option "responseHeader" must be a header name, such as "x-request-id"')
  }
  if (opts.immediate !== undefined && typeof opts.immediate !== 'boolean' && opts.immediate !== 'turn') {
    throw new TypeError(`waf-forensic: option "immediate" must be true, 'turn' or false, got ${JSON.stringify(opts.immediate)}`)
  }
  checkBoolean('waf-forensic', 'clientErrors', opts.clientErrors, 'a boolean')
  return channel
}

/** The app's forensic log, shared by every registration. */
const logs = new WeakMap<WafCore, ForensicLog>()

const REJECT_BODY = '{"error":"Service Unavailable","message":"the forensic log cannot be written","statusCode":503}'

/**
 * The Apache mod_log_forensic log: a "+" line when a request arrives, before anything can reject
 * it, and a "-" line once everything else about it has been logged.
 */
export const wafForensic = fp<WafForensicOptions>(async function wafForensic (app: FastifyInstance, opts: WafForensicOptions) {
  const core = coreOf(app)
  const channel = validate(opts, core.transport)
  const redact = new HeaderNameSet(opts.redact ?? DEFAULT_REDACT)
  const onFailure: ForensicWriteFailure = opts.onWriteFailure ?? 'drop'
  const responseHeader = opts.responseHeader
  const immediate: Flush = opts.immediate === false ? FLUSH_BATCH : opts.immediate === 'turn' ? FLUSH_TURN : FLUSH_NOW
  const clientErrors = opts.clientErrors ?? true
  const routes = validateRouteToggles('waf-forensic', opts.routes)
  const sw = new PluginSwitch('forensic', 'waf-forensic', opts, routes)

  let log = logs.get(core)
  if (log === undefined) {
    log = new ForensicLog(core.log, core.transport, channel)
    logs.set(core, log)
    core.log.addFilter('forensic', { name: 'default', channel, writer: 'raw' })
  } else if (log.channel !== channel) {
    throw new TypeError(`waf-forensic: option "channel" is ${JSON.stringify(channel)}, but this app's forensic log already writes to ${JSON.stringify(log.channel)}; route lines elsewhere with app.wafLog.addFilter('forensic', …)`)
  }
  const forensic = log
  // Every registration shares one log; each scope that has none yet gets the decorator.
  if (!app.hasDecorator('wafForensic')) {
    app.decorate('wafForensic', { stats: () => ({ ...forensic.counts }), channel } satisfies WafForensicDecorator)
  }

  /** A line could not be written: count it and act as configured. True when the request was answered. */
  function failed (phase: '+' | '-', id: string, reply: FastifyReply | undefined): boolean {
    if (onFailure === 'exit') {
      app.log.fatal({ id, phase, channel }, 'waf-forensic: a forensic line could not be written; exiting, as httpd does')
      process.exit(1)
    }
    if (onFailure === 'reject' && reply !== undefined && !reply.sent) {
      forensic.counts.rejected++
      void reply.code(503).header('content-type', 'application/json; charset=utf-8').send(REJECT_BODY)
      return true
    }
    return false
  }

  const participant: WafParticipant = {
    key: 'forensic',
    order: DEPART_ORDER.forensic,
    ...participantSwitch(sw),
    arrive (request: FastifyRequest, reply: FastifyReply, ctx: WafContext, early: boolean): boolean {
      const raw = request.raw
      if (responseHeader !== undefined) void reply.header(responseHeader, ctx.id)
      // The request line as received: the target before any `rewriteUrl`, the version as sent.
      const target = (raw as IncomingMessage & { originalUrl?: string }).originalUrl ?? raw.url as string
      const line = formatRequestPlusLine(ctx.id, raw.method as string, target, raw.httpVersion, requestRawHeaders(raw), redact)
      if (forensic.write(ctx.id, '+', line, immediate)) return false
      // No "+" line: no "-" line either, so the log never shows an end without a start.
      ctx.enabled.forensic = false
      return failed('+', ctx.id, early ? undefined : reply)
    },
    depart (_request: FastifyRequest, _reply: FastifyReply, ctx: WafContext): void {
      if (!ctx.enabled.forensic) return
      if (!forensic.write(ctx.id, '-', formatMinusLine(ctx.id), FLUSH_BATCH)) failed('-', ctx.id, undefined)
    },
    clientErrorArrive (info: ClientErrorInfo): void {
      const ctx = info.ctx
      if (responseHeader !== undefined) info.responseHeaders.push([responseHeader, ctx.id])
      const head = clientErrors ? info.head : undefined
      if (head === undefined) {
        ctx.enabled.forensic = false
        return
      }
      if (forensic.write(ctx.id, '+', formatPlusLine(ctx.id, head.requestLine, head.rawHeaders, redact), FLUSH_BATCH)) return
      ctx.enabled.forensic = false
      failed('+', ctx.id, undefined)
    },
    clientError (info: ClientErrorInfo): void {
      const ctx = info.ctx
      if (!ctx.enabled.forensic) return
      if (!forensic.write(ctx.id, '-', formatMinusLine(ctx.id), immediate)) failed('-', ctx.id, undefined)
    }
  }
  core.addJoinHook(app, participant, app)
}, { name: 'waf-forensic', fastify: '5.x', dependencies: ['waf-socket'] })
