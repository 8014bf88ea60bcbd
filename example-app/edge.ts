import { STATUS_CODES } from 'node:http'
import { Transform } from 'node:stream'
import type { TransformCallback } from 'node:stream'
import { errorCodes } from 'fastify'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { RateLimitPluginOptions } from '@fastify/rate-limit'
import { domainOf } from '../lib/lifecycle/context.js'
import { requestHost } from '../lib/http2.js'
import { applyForwardedHeaders } from '../lib/proxy/forwarded.js'
import type { OutgoingHeaders } from '../lib/proxy/forwarded.js'
import { compileDenyTemplate } from '../lib/deny-template.js'
import type { GatewayConfig } from './config.js'

/**
 * The gateway's edge behaviour, beside its wiring in gateway.ts: the health endpoint, what the
 * upstream receives, per-domain body and rate limits, and the operator's deny answer.
 */

/** The request's domain, as the waf context names it (HTTP/2: from `:authority`). */
export function requestDomain (request: FastifyRequest): string {
  const ctx = request.waf as FastifyRequest['waf'] | null
  return ctx == null ? domainOf(requestHost(request.raw)) : ctx.domain
}

/** Whether the gateway is draining (SIGTERM): the health endpoint answers 503 from then on. */
export interface HealthState { draining: boolean }

/**
 * `health.path`: 200 while serving, 503 once draining, to every client and for every Host. No waf
 * plugin runs for it (no log line, no rule check) and it is not rate limited.
 */
export function registerHealth (app: FastifyInstance, path: string, state: HealthState): void {
  app.get(path, { config: { waf: false, rateLimit: false }, logLevel: 'warn' }, async function health (_request, reply) {
    void reply.header('cache-control', 'no-store')
    if (state.draining) return reply.code(503).send('draining\n')
    return reply.send('ok\n')
  })
}

/** reply-from's `rewriteRequestHeaders` for X-Forwarded-*, X-Real-IP and preserveHost. */
export function forwardedHeadersRewrite (config: GatewayConfig): <H extends OutgoingHeaders>(request: FastifyRequest, headers: H) => H {
  const settings = config.edge.forwardedHeaders
  const preserve = new Map<string, boolean>()
  for (const [name, d] of Object.entries(config.domains)) preserve.set(name, d.edge.preserveHost ?? config.edge.preserveHost)
  const preserveDefault = config.edge.preserveHost
  // The domain is looked up only when some domain's preserveHost differs from the default.
  const uniform = [...preserve.values()].every(p => p === preserveDefault)
  return <H extends OutgoingHeaders>(request: FastifyRequest, headers: H): H => {
    const clientHost = requestHost(request.raw)
    const host = request.host
    return applyForwardedHeaders(headers, {
      peerAddress: request.raw.socket?.remoteAddress,
      clientIp: request.ip,
      proto: request.protocol,
      // Behind a trusted proxy, the Host it forwarded (Fastify reads X-Forwarded-Host then).
      host: host === '' ? clientHost : host,
      clientHost
    }, settings, uniform ? preserveDefault : preserve.get(requestDomain(request)) ?? preserveDefault)
  }
}

/** A too-large body, as Fastify answers its own limit. */
class BodyLimitStream extends Transform {
  private seen = 0
  constructor (private readonly limit: number) {
    super()
  }

  override _transform (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length
    if (this.seen > this.limit) done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE())
    else done(null, chunk)
  }
}

/**
 * The largest body limit of all (Fastify's own `bodyLimit`, which checks first), and a
 * preParsing hook for the domains whose limit is smaller: a declared length over it is refused at
 * once, a chunked body as soon as it goes over. 0 in the settings is no limit.
 */
export function bodyLimits (config: GatewayConfig): { max: number, hook: ((request: FastifyRequest, reply: FastifyReply, payload: NodeJS.ReadableStream) => Promise<NodeJS.ReadableStream>) | undefined } {
  const unlimited = (n: number): number => n === 0 ? Number.MAX_SAFE_INTEGER : n
  const global = unlimited(config.edge.bodyLimit)
  const perDomain = new Map<string, number>()
  for (const [name, d] of Object.entries(config.domains)) if (d.edge.bodyLimit !== undefined) perDomain.set(name, unlimited(d.edge.bodyLimit))
  const max = Math.max(global, ...perDomain.values())
  if (perDomain.size === 0 || [...perDomain.values(), global].every(n => n === max)) return { max, hook: undefined }
  return {
    max,
    async hook (request, _reply, payload) {
      const limit = perDomain.get(requestDomain(request)) ?? global
      if (limit >= max) return payload
      const declared = Number(request.headers['content-length'])
      if (Number.isFinite(declared) && declared > limit) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE()
      const counted = new BodyLimitStream(limit)
      payload.on('error', err => counted.destroy(err))
      return payload.pipe(counted)
    }
  }
}

/** The rate limit of the gateway, with per-domain `max` / `timeWindow` over the global one. */
export function rateLimitSettings (config: GatewayConfig): Pick<RateLimitPluginOptions, 'max' | 'timeWindow' | 'allowList' | 'keyGenerator'> | undefined {
  const global = config.rateLimit
  const domains = new Map<string, { max: number, timeWindow: number }>()
  for (const [name, d] of Object.entries(config.domains)) {
    const rl = d.edge.rateLimit
    if (rl === undefined) continue
    domains.set(name, { max: rl.max ?? (global === false ? 1000 : global.max), timeWindow: rl.timeWindow ?? (global === false ? 60_000 : global.timeWindow) })
  }
  if (global === false && domains.size === 0) return undefined
  // CC is counted per client and domain: one busy site must not lock a client out of another.
  const keyGenerator = (request: FastifyRequest): string => `${request.ip}|${requestDomain(request)}`
  if (domains.size === 0 && global !== false) return { max: global.max, timeWindow: global.timeWindow, keyGenerator }
  const of = (request: FastifyRequest): { max: number, timeWindow: number } | undefined => domains.get(requestDomain(request)) ?? (global === false ? undefined : global)
  return {
    keyGenerator,
    max: (request: FastifyRequest) => of(request)?.max ?? Number.MAX_SAFE_INTEGER,
    timeWindow: (request: FastifyRequest) => of(request)?.timeWindow ?? 60_000,
    // With no global limit, domains without one of their own are not counted at all.
    ...(global === false ? { allowList: (request: FastifyRequest) => !domains.has(requestDomain(request)) } : {})
  }
}

/** Sends the operator's deny answer (or the gateway's JSON one) with a status and the request id. */
export type DenySend = (reply: FastifyReply, status: number) => void

export function denySender (config: GatewayConfig): DenySend {
  const deny = config.edge.deny
  if (deny === undefined) {
    return (reply, status) => {
      void reply.code(status).send({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', id: (reply.request as FastifyRequest).waf?.id })
    }
  }
  const render = compileDenyTemplate(deny.body)
  return (reply, status) => {
    void reply.code(status).header('content-type', deny.contentType).send(render(status, (reply.request as FastifyRequest).waf?.id ?? ''))
  }
}

/**
 * With a deny template, the answers the gateway gives itself through errors (429 from the rate
 * limit, 413 from a body limit) use it too; other errors keep Fastify's JSON answer.
 */
export function setDenyErrorHandler (app: FastifyInstance, config: GatewayConfig, send: DenySend): void {
  if (config.edge.deny === undefined) return
  app.setErrorHandler(function gatewayErrors (err: FastifyError, _request, reply) {
    const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500
    if (status === 429 || status === 413) {
      send(reply, status)
      return
    }
    if (status >= 500) reply.log.error({ err }, 'gateway request failed')
    void reply.code(status).send({ statusCode: status, code: err.code, error: STATUS_CODES[status] ?? 'Error', message: err.message })
  })
}
