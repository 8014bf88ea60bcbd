import type { FastifyInstance, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import { Heartbeat } from '../lib/heartbeat/heartbeat.js'
import type { HeartbeatReportResult, HeartbeatSnapshot } from '../lib/heartbeat/heartbeat.js'
import { resolveIdentity } from '../lib/heartbeat/identity.js'
import { resolveHeartbeatOptions } from '../lib/heartbeat/options.js'
import { packetLimit } from '../lib/heartbeat/packet-limit.js'
import type { HeartbeatOptions } from '../lib/heartbeat/options.js'
import { DEPART_ORDER } from '../lib/lifecycle/participant.js'
import { PluginSwitch, participantSwitch } from '../lib/lifecycle/switches.js'
import type { PrefixOptions, RouteToggle } from '../lib/lifecycle/switches.js'
import { RequestMetrics } from '../lib/metrics/request-metrics.js'
import { heartbeatFamilies, transportFamilies } from '../lib/metrics/sources.js'
import type { MetricFamily } from '../lib/metrics/families.js'
import { checkBoolean, checkChannel } from '../lib/options.js'
import { afterPendingCloses, coreOf } from './core.js'
import type { WafParticipant } from './core.js'

export type { HeartbeatReportResult, HeartbeatSnapshot } from '../lib/heartbeat/heartbeat.js'
export type { HeartbeatFormat } from '../lib/heartbeat/options.js'
export type { HeartbeatRecord } from '../lib/heartbeat/report.js'
export type { CounterValues } from '../lib/heartbeat/counters.js'
export type { MetricFamily, MetricSample, MetricType } from '../lib/metrics/families.js'

export interface WafHeartbeatOptions extends HeartbeatOptions, PrefixOptions {
  /** Set by the umbrella `waf` plugin: per-prefix switches. */
  routes?: RouteToggle[]
  /**
   * `true` also counts, per request, what Prometheus wants beyond the heartbeat counters
   * (responses by status class, rule matches by rule id, upstream and rule-check latency
   * histograms) for `wafHeartbeat.metrics()`. Default `false`.
   */
  metrics?: boolean
}

/** `fastify.wafHeartbeat`. */
export interface WafHeartbeatApi {
  /** The live counters of the current interval (a copy; nothing is reset). */
  snapshot(): HeartbeatSnapshot
  /** Sends a report now and starts a new interval; the timer keeps its rhythm. */
  report(): HeartbeatReportResult
  /**
   * Metric families (prom-client's JSON shape) of this worker since it started: the heartbeat
   * counters per domain, the transport's channel counters and, with option `metrics`, the request
   * metrics. Built on call from counters kept anyway.
   */
  metrics(): MetricFamily[]
  /** Counts `rl_err` for `domain`: a request the rate-limit store could not count (it passed). */
  countRateLimitError(domain: string): void
}

declare module 'fastify' {
  interface FastifyInstance {
    wafHeartbeat: WafHeartbeatApi
  }
}

const OWNER = 'waf-heartbeat'

/** What was sent to the client: 0 when it left before a status line went out. */
function statusSent (reply: FastifyReply): number {
  const res = reply.raw
  return res.headersSent ? res.statusCode : 0
}

/**
 * Per-domain counters of every request, reported on the `heartbeat` stream every `interval`
 * (10 s) and once more when the app closes. Counting happens when a request finishes (after the
 * sizes are settled), for requests Fastify answered before any hook ran and for requests the
 * HTTP parser refused as well, when the app was built with `wafServerOptions()`.
 */
export const wafHeartbeat = fp<WafHeartbeatOptions>(async function wafHeartbeat (app: FastifyInstance, opts: WafHeartbeatOptions) {
  const core = coreOf(app)
  const o = resolveHeartbeatOptions(OWNER, opts)
  checkChannel(OWNER, o.channel, o.channel, core.transport)
  const maxPacketBytes = packetLimit(OWNER, o.channel, o.format, o.maxPacketBytes, core.transport.channel(o.channel).maxLineBytes)
  checkBoolean(OWNER, 'metrics', opts.metrics)
  const requestMetrics = opts.metrics === true ? new RequestMetrics() : undefined
  const sw = new PluginSwitch('heartbeat', OWNER, opts, opts.routes)
  const identity = await resolveIdentity(o)
  const log = core.log
  const transport = core.transport
  const reportChannel = transport.channel(o.channel)
  // Graphite lines are preformatted: one record per line (so UDP sends one line per datagram).
  log.addFilter('heartbeat', { name: 'default', channel: o.channel, writer: o.format === 'graphite' ? 'raw' : 'json' })
  const heartbeat = new Heartbeat({
    identity,
    intervalMs: o.intervalMs,
    maxPacketBytes,
    format: o.format,
    maxDomains: o.maxDomains,
    graphitePrefix: o.graphitePrefix,
    // A report is sent when it is made, not at the channel's next periodic flush: it is the
    // liveness signal, and its `t` says when it was taken.
    write: rec => {
      const accepted = log.write('heartbeat', rec)
      reportChannel.flushSoon?.()
      return accepted
    },
    transportStats: () => transport.stats(),
    onError: err => app.log.error({ err, plugin: OWNER }, 'waf heartbeat report failed')
  })
  const table = heartbeat.table

  const participant: WafParticipant = {
    key: 'heartbeat',
    order: DEPART_ORDER.heartbeat,
    ...participantSwitch(sw),
    depart (_request, reply, ctx) {
      const status = statusSent(reply)
      table.countContext(ctx, status)
      if (requestMetrics !== undefined) requestMetrics.record(ctx, status)
    },
    clientError (info) {
      table.countContext(info.ctx, info.status)
      if (requestMetrics !== undefined) requestMetrics.record(info.ctx, info.status)
    }
  }
  // The context's prefix scopes the early path (requests answered before routing) like the hooks.
  core.addJoinHook(app, participant, app)

  app.decorate('wafHeartbeat', {
    snapshot: () => heartbeat.snapshot(),
    report: () => heartbeat.report(),
    metrics: () => [
      ...heartbeatFamilies(heartbeat.cumulative()),
      ...transportFamilies(transport.stats()),
      ...(requestMetrics === undefined ? [] : requestMetrics.families())
    ],
    countRateLimitError: (domain: string) => { table.countRateLimitError(domain) }
  } satisfies WafHeartbeatApi)

  app.addHook('onReady', async function wafHeartbeatStart () {
    heartbeat.start()
  })
  // onClose hooks run in reverse registration order: this one runs before waf-socket's, which
  // closes the transport, so the final report (the last seconds of counts) still goes out.
  app.addHook('onClose', async function wafHeartbeatClose () {
    await afterPendingCloses()
    heartbeat.stop()
    try {
      heartbeat.report()
    } catch (err) {
      // Closing goes on: the transport must still drain what the other plugins wrote.
      app.log.error({ err, plugin: OWNER }, 'waf heartbeat final report failed')
    }
  })
}, { name: 'waf-heartbeat', fastify: '5.x', dependencies: ['waf-socket'] })

export default wafHeartbeat
