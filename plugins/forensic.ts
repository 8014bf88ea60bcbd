import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { IncomingMessage } from 'node:http'
import type { WafContext } from '../lib/lifecycle/context.js'
import { DEPART_ORDER } from '../lib/lifecycle/participant.js'
import type { ClientErrorInfo } from '../lib/lifecycle/participant.js'
import { formatMinusLine, formatPlusLine, formatRequestPlusLine } from '../lib/forensic/line.js'
import { requestRawHeaders } from '../lib/http2.js'
import { FLUSH_BATCH, ForensicLog } from '../lib/forensic/log.js'
import type { ForensicStats } from '../lib/forensic/log.js'
import { resolveForensicOptions } from '../lib/forensic/options.js'
import type { ForensicOptions } from '../lib/forensic/options.js'
import { PluginSwitch, participantSwitch, validateRouteToggles } from '../lib/lifecycle/switches.js'
import type { PrefixOptions, RouteToggle } from '../lib/lifecycle/switches.js'
import { DEFAULT_REDACT_REQUEST_HEADERS } from '../lib/redaction.js'
import { coreOf } from './core.js'
import type { WafCore, WafParticipant } from './core.js'

export type { ForensicStats } from '../lib/forensic/log.js'
export type { ForensicRecord } from '../lib/records/forensic-record.js'
export type { ForensicWriteFailure } from '../lib/forensic/options.js'

export interface WafForensicOptions extends ForensicOptions, PrefixOptions {
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

/** The app's forensic log, shared by every registration. */
const logs = new WeakMap<WafCore, ForensicLog>()

const REJECT_BODY = '{"error":"Service Unavailable","message":"the forensic log cannot be written","statusCode":503}'

/**
 * The Apache mod_log_forensic log: a "+" line when a request arrives, before anything can reject
 * it, and a "-" line once everything else about it has been logged.
 */
export const wafForensic = fp<WafForensicOptions>(async function wafForensic (app: FastifyInstance, opts: WafForensicOptions) {
  const core = coreOf(app)
  const { channel, redact, onFailure, responseHeader, immediate, clientErrors } = resolveForensicOptions(opts, core.transport)
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
