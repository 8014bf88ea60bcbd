import Fastify from 'fastify'
import type { FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import { Forwarder, waf, wafForward, wafServerOptions, wafRateLimitHooks, wafRateLimitRedis } from '../plugins/index.js'
import type { WafOptions } from '../plugins/index.js'
import { cautiousMode } from '../lib/rules/rule-set-settings.js'
import { summarize } from '../lib/rules/seclang/report.js'
import type { WafPolicy } from '../lib/lifecycle/context.js'
import { forwardedTarget, hasDotDotSegment } from '../lib/proxy/request-target.js'
import type { ChannelName, GatewayConfig } from './config.js'
import { AllowList } from './allow-list.js'
import { registerMetricsEndpoint } from './metrics-endpoint.js'
import { drainGracefully } from './drain.js'
import { bodyLimits, denySender, forwardedHeadersRewrite, rateLimitSettings, registerHealth, requestDomain, setDenyErrorHandler } from './edge.js'
import type { HealthState } from './edge.js'
import type { TrustProxy } from './config-edge.js'
import type { CertificateStore } from './tls.js'
import { closeGracefullyOnHttp2 } from './http2-close.js'
import { applyClientTimeouts } from './timeouts.js'
import { deferredChildLogger } from './request-logger.js'

/**
 * The WAF gateway: the waf plugins in front of a Forwarder (undici's dispatch). Request bodies are kept as
 * the bytes received, so what reaches the upstream is exactly what the client sent, while the rule
 * check reads them parsed by content type.
 */

export interface GatewayOptions {
  /** The upstream of domains without their own (the demo upstream when the config has none). */
  defaultUpstream: string
  /** `false` to log nothing of Fastify's own (the waf logs are separate). */
  logger?: boolean
  /** `false` runs the same gateway without the waf plugins: the baseline of the gateway benchmark. */
  waf?: boolean
  /** In a cluster worker: the whole cluster's metrics, from the primary (see worker.ts). */
  scrape?: () => Promise<string>
  /** The certificates `listen.tls` and `domains.*.tls` loaded (server.ts loads them once, at start). */
  certificates?: CertificateStore
  /** Set `draining` on SIGTERM: the health endpoint answers 503 from then on. */
  health?: HealthState
}

/** Fastify's `trustProxy`, with a hop count as Express reads it: the nearest `n` hops are trusted. */
function trustProxyOption (tp: TrustProxy): boolean | string[] | ((addr: string, hop: number) => boolean) {
  // Fastify 5 reads a bare number as "trust nothing": a hop count is given as the function.
  return typeof tp === 'number' ? (_addr, hop) => hop < tp : tp
}

/** The server half of Fastify's options: TLS (with SNI) and HTTP/2. */
function serverOptions (config: GatewayConfig, certificates: CertificateStore | undefined): FastifyServerOptions & { http2?: true, https?: object } {
  const https = certificates === undefined
    ? undefined
    : { ...certificates.defaultContextOptions(), SNICallback: certificates.sniCallback, ...(config.edge.http2 ? { allowHTTP1: true } : {}) }
  return {
    ...(config.edge.http2 ? { http2: true as const } : {}),
    ...(https === undefined ? {} : { https })
  }
}

/** File channels flush often, so that `tail -f logs/attack.log` shows an attack at once. */
function channelSpec (url: string): string | { url: string, flushInterval: number } {
  return url.startsWith('file:') ? { url, flushInterval: 100 } : url
}

function policies (config: GatewayConfig): Record<string, Partial<WafPolicy>> {
  const out: Record<string, Partial<WafPolicy>> = {}
  for (const [domain, d] of Object.entries(config.domains)) {
    const p: Partial<WafPolicy> = {}
    if (d.mode !== undefined) p.mode = d.mode
    if (d.rules !== undefined) p.rules = d.rules
    out[domain] = p
  }
  return out
}

/** `domains.<host>.ruleFiles`: an engine of its own for each such domain. */
function domainRules (config: GatewayConfig): { domainRules?: Record<string, string[]> } {
  const out: Record<string, string[]> = {}
  for (const [domain, d] of Object.entries(config.domains)) if (d.ruleFiles !== undefined) out[domain] = d.ruleFiles
  return Object.keys(out).length === 0 ? {} : { domainRules: out }
}

/** `rules.bodyBytes` and `rules.responseBodyBytes`: the rules plugin's `limits` (its defaults for any left out). */
function ruleLimits (rules: GatewayConfig['rules']): { limits?: { bodyBytes?: number, responseBodyBytes?: number } } {
  const limits: { bodyBytes?: number, responseBodyBytes?: number } = {}
  if (rules.bodyBytes !== undefined) limits.bodyBytes = rules.bodyBytes
  if (rules.responseBodyBytes !== undefined) limits.responseBodyBytes = rules.responseBodyBytes
  return Object.keys(limits).length === 0 ? {} : { limits }
}

/** The waf options the gateway runs with: everything on, channels from the config. */
export function wafOptionsOf (config: GatewayConfig): WafOptions {
  const channels: Record<string, string | { url: string, flushInterval: number }> = {}
  for (const [name, url] of Object.entries(config.channels) as Array<[ChannelName, string]>) channels[name] = channelSpec(url)
  return {
    // Lines lost, a collector away: on stderr with the gateway's other problems, never in silence.
    transport: { channels, onWarning: w => { process.stderr.write(`fastify-waflog gateway: ${w.message}\n`) } },
    forensic: config.plugins.forensic && { responseHeader: 'x-request-id' },
    rules: config.plugins.rules && {
      mode: config.mode,
      policies: policies(config),
      defaultRules: config.rules.defaultRules,
      ...(config.rules.files.length > 0 ? { rules: config.rules.files } : {}),
      ...(config.rules.crs === undefined ? {} : { crs: config.rules.crs }),
      ...ruleLimits(config.rules),
      ...(config.rules.responseBodyTypes === undefined ? {} : { responseBodyTypes: config.rules.responseBodyTypes }),
      ...(config.rules.exclusions.length > 0 ? { exclusions: config.rules.exclusions } : {}),
      ...(config.rules.resultCacheBytes === undefined ? {} : { resultCacheBytes: config.rules.resultCacheBytes }),
      ...domainRules(config),
      // The gateway keeps bodies as bytes (below); the rule check parses them itself.
      parseUrlencoded: false,
      ...(config.edge.deny === undefined ? {} : { denyResponse: { contentType: config.edge.deny.contentType, body: config.edge.deny.body } }),
      ...(config.edge.deny?.status === undefined ? {} : { denyStatus: config.edge.deny.status })
    },
    attack: config.plugins.attack && (config.attack.format === 'json' ? {} : { format: config.attack.format }),
    access: config.plugins.access && { format: config.access.format },
    heartbeat: config.plugins.heartbeat && { interval: config.heartbeat.interval, format: config.heartbeat.format, graphitePrefix: config.heartbeat.graphitePrefix, metrics: config.metrics !== undefined },
    routes: config.routes,
    node: config.node
  }
}

/** An upstream URL as its origin and the path its requests' paths are appended to ('' for none). */
interface UpstreamTarget { origin: string, prefix: string }

function upstreamTarget (url: string): UpstreamTarget {
  const u = new URL(url)
  return { origin: u.origin, prefix: u.pathname.replace(/\/+$/, '') }
}

/** How long a keep-alive connection may stay idle once the gateway closes, before it is closed. */
const IDLE_GRACE_MS = 1000

/** `OPTIONS *` asks about the server, which the gateway is; any other target without a path is a 400. */
function answerWithoutPath (reply: FastifyReply): FastifyReply {
  if (reply.request.method === 'OPTIONS') return reply.code(204).send()
  return badTarget(reply, 'the request target has no path to forward')
}

function badTarget (reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message, id: reply.request.waf?.id })
}

/** How long the gateway's plugins (the rule set's load above all) may take to start. */
const PLUGIN_TIMEOUT_MS = 120_000

const DOT_DOT_MESSAGE = 'the request path has a ".." segment'

export async function buildGateway (config: GatewayConfig, opts: GatewayOptions): Promise<FastifyInstance> {
  const limits = bodyLimits(config)
  // The HTTP/2 and HTTPS servers are typed apart in Fastify; the gateway's code reads requests alike.
  const app = Fastify({
    ...wafServerOptions(),
    ...serverOptions(config, opts.certificates),
    logger: opts.logger === false ? false : { level: 'warn' },
    // Each request's child logger (its reqId) made only when the request writes a line.
    ...(opts.logger === false ? {} : { childLoggerFactory: deferredChildLogger }),
    trustProxy: trustProxyOption(config.edge.trustProxy),
    bodyLimit: limits.max,
    // Loading and building a rule set is the gateway's start: the CRS takes ~0.7 s on an idle
    // core but passed Fastify's default 10 s on a loaded 2-core machine (a CI run's gateway
    // failed to start). A hung start still ends, with Fastify's error naming the plugin.
    pluginTimeout: PLUGIN_TIMEOUT_MS,
    // In-flight requests finish on close, and so do requests still sent on open connections
    // (answered with Connection: close); idle keep-alive connections get a grace (drain.ts).
    return503OnClosing: false
  } as FastifyServerOptions) as unknown as FastifyInstance
  // The HTTP/2 server has no closeIdleConnections: its sessions get a GOAWAY instead.
  if (config.edge.http2) closeGracefullyOnHttp2(app)
  else drainGracefully(app, IDLE_GRACE_MS)
  const denied = denySender(config)
  setDenyErrorHandler(app, config, denied)

  applyClientTimeouts(app, config.timeouts)

  // Bodies stay as received, whatever their type: the forwarder sends them byte for byte.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, function keepBytes (_request, body, done) {
    done(null, body)
  })

  const withWaf = opts.waf !== false
  if (withWaf) await app.register(waf, wafOptionsOf(config))
  if (limits.hook !== undefined) app.addHook('preParsing', limits.hook)

  const rateLimits = rateLimitSettings(config)
  if (rateLimits !== undefined) {
    const shared = config.rateLimit === false ? undefined : config.rateLimit
    await app.register(rateLimit, {
      ...rateLimits,
      ...wafRateLimitHooks(),
      // Shared by every gateway on this Redis; fails open (counted as rl_err) when it is away.
      ...(shared?.redis === undefined ? {} : wafRateLimitRedis(app, { url: shared.redis, timeout: shared.redisTimeout, warnInterval: config.heartbeat.interval }))
    })
  }
  if (config.edge.health !== undefined) registerHealth(app, config.edge.health.path, opts.health ?? { draining: false })

  const upstreams = new Map<string, UpstreamTarget>()
  for (const [domain, d] of Object.entries(config.domains)) upstreams.set(domain, upstreamTarget(d.upstream ?? opts.defaultUpstream))
  const fallback = upstreamTarget(opts.defaultUpstream)
  // One upstream for every domain (the usual case): one undici Pool for it, instead of an Agent
  // that finds the pool by origin for each request.
  const single = [...upstreams.values()].every(u => u.origin === fallback.origin && u.prefix === fallback.prefix)
  // Never retried: a 503 or a failed request goes back to the client as it is; retrying is the client's
  // decision, and a retry would hide the upstream's state from the logs.
  const forwarder = new Forwarder(single ? fallback.origin : undefined, {
    connections: 128,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    connect: { rejectUnauthorized: config.upstreamTls.rejectUnauthorized, ...(config.upstreamTls.ca === undefined ? {} : { ca: config.upstreamTls.ca }) }
  })
  app.addHook('onClose', async function closeUpstreams () { await forwarder.close() })
  // Hop-by-hop fields stay on their connection, both ways (lib/proxy/hop-by-hop.ts), dropped
  // before the request id and the forwarded headers are added.
  const forward = wafForward(forwarder, {
    rewriteRequestHeaders: forwardedHeadersRewrite(config),
    onError: (reply, status) => { denied(reply, status) }
  })

  if (withWaf) {
    const statusAllow = new AllowList(config.status.allow, 'status.allow')
    app.get(config.status.path, { config: { waf: { rules: false } }, logLevel: 'warn' }, async function wafStatus (request, reply) {
      if (!statusAllow.allows(request.socket.remoteAddress)) return reply.callNotFound()
      return {
        pid: process.pid,
        ...(app.hasDecorator('wafHeartbeat') ? { heartbeat: app.wafHeartbeat.snapshot() } : {}),
        transport: app.wafTransport.stats(),
        ...(app.hasDecorator('wafForensic') ? { forensic: app.wafForensic.stats() } : {}),
        log: app.wafLog.stats(),
        ...(app.hasDecorator('wafRules') ? { resultCache: app.wafRules.resultCacheStats() ?? null } : {})
      }
    })
    if (config.metrics !== undefined) registerMetricsEndpoint(app, config.metrics, opts.scrape)
  }

  // Returns nothing: a handler that returns the reply (a thenable) makes Fastify wait on it
  // through `reply.then`, which puts end-of-stream listeners on every response (docs/profiling.md).
  app.all('/*', function forwardUpstream (request, reply): void {
    const target = forwardedTarget(request.url)
    if (target === undefined) answerWithoutPath(reply)
    else if (hasDotDotSegment(target)) badTarget(reply, DOT_DOT_MESSAGE)
    else if (single) forward(request, reply, fallback.prefix + target)
    else {
      const up = upstreams.get(requestDomain(request)) ?? fallback
      forward(request, reply, up.prefix + target, up.origin)
    }
  })

  return app
}

/** `rules: 540 rules, mode detect (SecRuleEngine at /etc/nginx/modsecurity.conf:7); SecLang: 523 rules loaded …`. */
export function rulesSummary (app: FastifyInstance): string {
  if (!app.hasDecorator('wafRules')) return 'rules: off'
  const { rules, engine, seclang } = app.wafRules
  const set = engine.settings.mode
  return `rules: ${rules.length} rules, mode ${cautiousMode(engine.mode, set?.value)}${set === undefined ? '' : ` (SecRuleEngine at ${set.where})`}` +
    (seclang === undefined ? '' : `; ${summarize(seclang)}`)
}
