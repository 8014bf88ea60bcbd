import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { IncomingMessage } from 'node:http'
import type { WafContext } from '../lib/lifecycle/context.js'
import { DEPART_ORDER } from '../lib/lifecycle/participant.js'
import type { ClientErrorInfo } from '../lib/lifecycle/participant.js'
import { formatMinusLine, formatPlusLine, formatRequestPlusLine } from '../lib/forensic/line.js'
import { HeaderNameSet } from '../lib/forensic/headers.js'
import { requestRawHeaders } from '../lib/http2.js'
import type { LogStream } from '../lib/log/stream.js'
import type { ForensicRecord } from '../lib/records/forensic-record.js'
export type { ForensicRecord } from '../lib/records/forensic-record.js'
import type { Channel } from '../lib/transport/types.js'
import { PluginSwitch, participantSwitch, validateRouteToggles } from '../lib/lifecycle/switches.js'
import type { PrefixOptions, RouteToggle } from '../lib/lifecycle/switches.js'
import { DEFAULT_REDACT_REQUEST_HEADERS } from '../lib/redaction.js'
import { coreOf } from './core.js'
import type { WafCore, WafParticipant } from './core.js'

/** What happens when a forensic line cannot be written. */
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

export interface ForensicStats {
  /** "+" lines written, "-" lines written. */
  plus: number
  minus: number
  /** Lines a channel refused (queue full past `dropLimit`, channel closed). */
  failures: number
  /** Requests answered 503 because their "+" line could not be written (`onWriteFailure: 'reject'`). */
  rejected: number
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
const FASTIFY_REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers'])
const FAILURE_MODES: readonly ForensicWriteFailure[] = ['drop', 'reject', 'exit']
/** RFC 9110 token characters, for header names. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** What every registration in one app shares: one stream, one default channel, one set of counters. */
class ForensicLog {
  readonly counts: ForensicStats = { plus: 0, minus: 0, failures: 0, rejected: 0 }
  private readonly stream: LogStream<ForensicRecord>
  private readonly sink: Channel
  /** Sum over the stream's filters of lines their channels refused, when last looked at. */
  private refusedSeen = 0

  constructor (core: WafCore, readonly channel: string) {
    this.stream = core.log.stream<ForensicRecord>('forensic')
    this.sink = core.transport.channel(channel)
  }

  private flushSoon (): void {
    if (this.sink.flushSoon !== undefined) this.sink.flushSoon()
    else this.sink.flush()
  }

  /**
   * Writes one line through the stream's filters; false when it failed: the stream is on, and a
   * channel refused the line while none took it. A stream turned off, or a record every filter's
   * policy declined, is not a failure.
   */
  write (id: string, phase: '+' | '-', line: string, flush: Flush): boolean {
    const s = this.stream
    if (!s.enabled) return true
    const rec: ForensicRecord = { type: 'forensic', id, phase, line }
    if (s.write(rec)) {
      if (phase === '+') this.counts.plus++
      else this.counts.minus++
      if (flush === FLUSH_NOW) this.sink.flush()
      else if (flush === FLUSH_TURN) this.flushSoon()
      return true
    }
    // The rare path: find out whether a channel refused the line, or the filters declined it.
    let refused = 0
    for (const f of Object.values(s.filterStats())) refused += f.lines - f.accepted
    const failed = refused > this.refusedSeen
    this.refusedSeen = refused
    if (failed) this.counts.failures++
    return !failed
  }
}

/** When a line's write starts: with the channel's batching, at once, or when the event-loop turn ends. */
type Flush = 0 | 1 | 2
const FLUSH_BATCH = 0
const FLUSH_NOW = 1
const FLUSH_TURN = 2

const logs = new WeakMap<WafCore, ForensicLog>()

function validate (opts: WafForensicOptions): void {
  if (opts === null || typeof opts !== 'object') throw new TypeError('waf-forensic: options must be an object')
  for (const key of Object.keys(opts)) {
    if (!KNOWN.has(key) && !FASTIFY_REGISTER_OPTIONS.has(key)) {
      throw new TypeError(`waf-forensic: option "${key}" is not an option; known: ${[...KNOWN].join(', ')}`)
    }
  }
  if (opts.channel !== undefined && (typeof opts.channel !== 'string' || opts.channel.length === 0)) {
    throw new TypeError('waf-forensic: option "channel" must be a channel name (a non-empty string)')
  }
  if (opts.redact !== undefined && (!Array.isArray(opts.redact) || opts.redact.some(n => typeof n !== 'string' || !TOKEN.test(n)))) {
    throw new TypeError('waf-forensic: option "redact" must be an array of header names, such as ["authorization", "cookie"]')
  }
  if (opts.onWriteFailure !== undefined && !FAILURE_MODES.includes(opts.onWriteFailure)) {
    throw new TypeError(`waf-forensic: option "onWriteFailure" must be one of ${FAILURE_MODES.map(m => `'${m}'`).join(', ')}, got ${JSON.stringify(opts.onWriteFailure)}`)
  }
  if (opts.responseHeader !== undefined && (typeof opts.responseHeader !== 'string' || !TOKEN.test(opts.responseHeader))) {
    throw new TypeError('waf-forensic: option "responseHeader" must be a header name, such as "x-request-id"')
  }
  if (opts.immediate !== undefined && typeof opts.immediate !== 'boolean' && opts.immediate !== 'turn') {
    throw new TypeError(`waf-forensic: option "immediate" must be true, 'turn' or false, got ${JSON.stringify(opts.immediate)}`)
  }
  if (opts.clientErrors !== undefined && typeof opts.clientErrors !== 'boolean') throw new TypeError('waf-forensic: option "clientErrors" must be a boolean')
}


const REJECT_BODY = '{"error":"Service Unavailable","message":"the forensic log cannot be written","statusCode":503}'

/**
 * The Apache mod_log_forensic log: a "+" line when a request arrives, before anything can reject
 * it, and a "-" line once everything else about it has been logged.
 */
export const wafForensic = fp<WafForensicOptions>(async function wafForensic (app: FastifyInstance, opts: WafForensicOptions) {
  validate(opts)
  const core = coreOf(app)
  const channel = opts.channel ?? 'forensic'
  if (!core.transport.has(channel)) {
    throw new TypeError(`waf-forensic: option "channel" names ${JSON.stringify(channel)}, which is not a channel of waf-socket (configured: ${core.transport.names().join(', ') || 'none'})`)
  }
  const redact = new HeaderNameSet(opts.redact ?? DEFAULT_REDACT)
  const onFailure: ForensicWriteFailure = opts.onWriteFailure ?? 'drop'
  const responseHeader = opts.responseHeader
  const immediate: Flush = opts.immediate === false ? FLUSH_BATCH : opts.immediate === 'turn' ? FLUSH_TURN : FLUSH_NOW
  const clientErrors = opts.clientErrors ?? true
  const routes = validateRouteToggles('waf-forensic', opts.routes)
  const sw = new PluginSwitch('forensic', 'waf-forensic', opts, routes)

  let log = logs.get(core)
  if (log === undefined) {
    log = new ForensicLog(core, channel)
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
