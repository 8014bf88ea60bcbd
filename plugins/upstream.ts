import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyReplyFromHooks } from '@fastify/reply-from'
import type { WafContext } from '../lib/lifecycle/context.js'
import { coreOf } from './core.js'
import { checkFunction, checkOptionNames } from '../lib/options.js'
import { assignedCopy } from '../lib/proxy/header-copy.js'
import { UpstreamTiming } from '../lib/proxy/upstream-timing.js'

/**
 * The upstream side of the gateway, kept thin: hooks for `@fastify/reply-from` that fill
 * `request.waf.upstream` and send the request id upstream, and a hook for `@fastify/rate-limit`
 * that marks `request.waf.cc`. Build the hooks once (per route or per app), not per request.
 *
 * ```ts
 * const upstream = wafUpstream()
 * app.all('/*', (request, reply) => reply.from(request.url, upstream))
 * app.register(rateLimit, { max: 100, timeWindow: '1 minute', ...wafRateLimitHooks() })
 * ```
 */

type ReplyFromOnResponse = NonNullable<FastifyReplyFromHooks['onResponse']>
type ReplyFromOnError = NonNullable<FastifyReplyFromHooks['onError']>
type ReplyFromRewriteRequestHeaders = NonNullable<FastifyReplyFromHooks['rewriteRequestHeaders']>

export interface WafUpstreamOptions {
  /** The header that carries `request.waf.id` upstream, replacing any the client sent; `false` sends none. Default `'x-request-id'`. */
  requestIdHeader?: string | false
  /** Runs after the waf bookkeeping. Without it the upstream body is sent as it is (`reply.send(res.stream)`). */
  onResponse?: ReplyFromOnResponse
  /** Runs after the waf bookkeeping. Without it reply-from's error reply is sent (`reply.send(error)`). */
  onError?: ReplyFromOnError
  /** Runs after the waf headers were added. */
  rewriteRequestHeaders?: ReplyFromRewriteRequestHeaders
}

/** The hooks `wafUpstream` returns: pass them as `reply.from(source, hooks)`. */
export type WafUpstreamHooks = Required<Pick<FastifyReplyFromHooks, 'onResponse' | 'onError' | 'rewriteRequestHeaders'>>

/** The request's waf context, created through the core if no waf plugin has made it yet. */
export function contextOf (request: FastifyRequest): WafContext | undefined {
  const ctx = request.waf as WafContext | null | undefined
  if (ctx !== null && ctx !== undefined) return ctx
  // Only when no waf plugin joined this request (its route is excluded, say) and waf-socket is there.
  return request.server.hasDecorator('wafLog') ? coreOf(request.server).context(request) : undefined
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** The lower-cased request id header of a `requestIdHeader` option (`undefined`: none), checked. */
export function requestIdHeaderOf (option: string | false | undefined, who: string): string | undefined {
  const header = option === undefined ? 'x-request-id' : option
  if (header !== false && (typeof header !== 'string' || !HEADER_NAME.test(header))) {
    throw new TypeError(`${who}: option "requestIdHeader" must be a header name or false`)
  }
  return header === false ? undefined : header.toLowerCase()
}

/**
 * Status codes reply-from's errors carry, mapped the way nginx records `$upstream_status`: an
 * upstream that timed out is 504, one that could not be reached or broke off is 502.
 */
function upstreamErrorStatus (error: Error): number {
  const status = (error as Error & { statusCode?: number }).statusCode
  return status === 504 ? 504 : 502
}

const UPSTREAM_OPTIONS: ReadonlySet<string> = new Set(['requestIdHeader', 'onResponse', 'onError', 'rewriteRequestHeaders'])

/** reply-from hooks that record the upstream exchange in `request.waf.upstream`. */
export function wafUpstream (opts: WafUpstreamOptions = {}): WafUpstreamHooks {
  checkOptionNames('wafUpstream', opts, UPSTREAM_OPTIONS, 'an object', false)
  const idHeader = requestIdHeaderOf(opts.requestIdHeader, 'wafUpstream')
  for (const k of ['onResponse', 'onError', 'rewriteRequestHeaders'] as const) checkFunction('wafUpstream', k, opts[k])
  const userRewrite = opts.rewriteRequestHeaders
  const userResponse = opts.onResponse
  const userError = opts.onError

  return {
    rewriteRequestHeaders (request, given) {
      const ctx = contextOf(request as FastifyRequest)
      let headers = given
      if (ctx !== undefined) {
        // reply-from has set `host` to the upstream's host[:port] on its own copy of the headers.
        ctx.upstream = new UpstreamTiming(String(headers.host ?? ''), Date.now())
        if (idHeader !== undefined) {
          // Added to a copy: reply-from's object is a spread, slow to add fields to (header-copy.ts).
          headers = assignedCopy(headers)
          headers[idHeader] = ctx.id
        }
      }
      return userRewrite === undefined ? headers : userRewrite(request, headers)
    },
    onResponse (request, reply, res) {
      const up = (request as FastifyRequest).waf?.upstream
      if (up instanceof UpstreamTiming) up.settle(res.statusCode)
      if (userResponse !== undefined) userResponse(request, reply, res)
      else void reply.send(res.stream)
    },
    onError (reply, err) {
      const up = (reply as FastifyReply).request.waf?.upstream
      if (up instanceof UpstreamTiming) up.settle(upstreamErrorStatus(err.error))
      if (userError !== undefined) userError(reply, err)
      else void reply.send(err.error)
    }
  }
}

/** Marks the request as CC (rate limited) in its waf context. */
export function markCc (request: FastifyRequest): void {
  const ctx = contextOf(request)
  if (ctx !== undefined) ctx.cc = true
}

const RATE_LIMIT_HOOK_OPTIONS: ReadonlySet<string> = new Set(['onExceeded'])

export interface WafRateLimitHookOptions {
  /** Runs after the request was marked. */
  onExceeded?: (request: FastifyRequest, key: string) => void
}

/**
 * `@fastify/rate-limit` options that mark each request over the limit as CC: spread them into the
 * plugin's options. Register the waf plugins first, so their hooks run before the limiter's.
 */
export function wafRateLimitHooks (opts: WafRateLimitHookOptions = {}): { onExceeded: (request: FastifyRequest, key: string) => void } {
  checkOptionNames('wafRateLimitHooks', opts, RATE_LIMIT_HOOK_OPTIONS, 'an object', false)
  checkFunction('wafRateLimitHooks', 'onExceeded', opts.onExceeded)
  const user = opts.onExceeded
  return {
    onExceeded (request, key) {
      markCc(request)
      if (user !== undefined) user(request, key)
    }
  }
}
