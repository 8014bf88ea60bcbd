import { createRequire } from 'node:module'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor, RateLimitOptions } from '@fastify/rate-limit'
import type { Redis } from 'ioredis'
import { domainOf } from '../lib/lifecycle/context.js'
import { FailureLog } from '../lib/rate-limit/failure-log.js'
import { createRedisClient } from '../lib/rate-limit/redis-client.js'
import { redactRedisUrl, redisUrlProblem } from '../lib/rate-limit/redis-url.js'

/**
 * CC counters shared in Redis: `@fastify/rate-limit`'s own Redis store over an ioredis client,
 * failing open. Every gateway and worker on the same Redis shares one limit per key.
 *
 * ```ts
 * await app.register(rateLimit, { max: 100, timeWindow: 60_000, keyGenerator: wafRateLimitKey,
 *   ...wafRateLimitHooks(), ...wafRateLimitRedis(app, { url: 'redis://127.0.0.1:6379/0' }) })
 * ```
 *
 * When Redis is down or slower than `timeout`, the request passes (`skipOnError`), the failure
 * is counted as `rl_err` under the request's domain in the heartbeat, and a warning goes to
 * `app.log` at most once per `warnInterval`. The client reconnects by itself; it is closed with
 * the app.
 */

interface RedisStoreInstance {
  incr(key: string, cb: (err: Error | null, res?: { current: number, ttl: number }) => void, timeWindow: number, max: number): void
  child(routeOptions: unknown): RedisStoreInstance
}
type RedisStoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key?: string) => RedisStoreInstance

// The store the plugin itself uses for its `redis` option; the package exports no path for it.
const RedisStore = createRequire(import.meta.url)('@fastify/rate-limit/store/RedisStore.js') as RedisStoreCtor

export interface WafRateLimitRedisOptions {
  /** `redis://host:port/db` or `rediss://host:port/db` (TLS, certificate verified). */
  url: string
  /** ms a Redis command may take before the request passes without it. Default 100. */
  timeout?: number
  /** The prefix of the keys in Redis. Default `'fastify-waflog-cc:'`. */
  nameSpace?: string
  /** The domain a key counts `rl_err` under. Default: the part after `|` of `wafRateLimitKey`'s keys. */
  domainOfKey?: (key: string) => string
  /** ms between two warnings about failures. Default 10000. */
  warnInterval?: number
}

/** What to spread into `@fastify/rate-limit`'s options. */
export interface WafRateLimitRedisSettings {
  store: FastifyRateLimitStoreCtor
  skipOnError: true
}

const OWNER = 'wafRateLimitRedis'

/** The CC key the gateway uses: one limit per client IP and domain. */
export function wafRateLimitKey (request: FastifyRequest): string {
  return `${request.ip}|${domainOf(request.headers.host)}`
}

/** The domain part of a `wafRateLimitKey` key (an IP never holds `|`); '' for other keys. */
export function domainOfWafKey (key: string): string {
  const bar = key.indexOf('|')
  return bar === -1 ? '' : key.slice(bar + 1)
}

function positiveInt (value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new TypeError(`${OWNER}: option "${option}" must be a whole number of ms from 1 to 2147483647, got ${JSON.stringify(value)}`)
  }
  return value
}

/**
 * Makes the ioredis client (connecting at once, in the background) and the store class for
 * `@fastify/rate-limit`. Call it before the app is ready; it adds an onClose hook for the client.
 */
export function wafRateLimitRedis (app: FastifyInstance, opts: WafRateLimitRedisOptions): WafRateLimitRedisSettings {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${OWNER}: options must be an object with "url"`)
  const problem = redisUrlProblem(opts.url)
  if (problem !== undefined) throw new TypeError(`${OWNER}: option "url" ${problem}, got ${JSON.stringify(redactRedisUrl(String(opts.url)))}`)
  const timeout = positiveInt(opts.timeout, 'timeout', 100)
  const warnInterval = positiveInt(opts.warnInterval, 'warnInterval', 10_000)
  const nameSpace = opts.nameSpace ?? 'fastify-waflog-cc:'
  if (typeof nameSpace !== 'string' || nameSpace.length === 0) throw new TypeError(`${OWNER}: option "nameSpace" must be a non-empty string`)
  const domainOfKey = opts.domainOfKey ?? domainOfWafKey
  if (typeof domainOfKey !== 'function') throw new TypeError(`${OWNER}: option "domainOfKey" must be a function`)

  const shown = redactRedisUrl(opts.url)
  const redis = createRedisClient(opts.url, timeout)
  const failures = new FailureLog(`waf rate limit: Redis store ${shown}`, app.log, warnInterval)
  // Connection errors arrive as events (an unheard one would be printed by ioredis); the
  // requests they fail are what is counted and reported. A return after a loss is logged.
  let lost = false
  redis.on('error', () => {})
  redis.on('close', () => { lost = true })
  redis.on('ready', () => {
    if (lost) app.log.warn({ redis: shown }, `waf rate limit: Redis store ${shown} is back; limits apply again`)
    lost = false
  })
  app.addHook('onClose', async function wafRateLimitRedisClose () {
    failures.flush()
    redis.disconnect()
  })

  const countFailure = (key: string, err: Error): void => {
    failures.failed(err)
    if (app.hasDecorator('wafHeartbeat')) app.wafHeartbeat.countRateLimitError(domainOfKey(key))
  }

  /** The plugin's Redis store, with each failure counted before the plugin lets the request pass. */
  class WafRedisStore implements FastifyRateLimitStore {
    private readonly inner: RedisStoreInstance

    // The plugin constructs its store with its resolved options, continueExceeding among them.
    constructor (params: FastifyRateLimitOptions, inner?: RedisStoreInstance) {
      const p = params as FastifyRateLimitOptions & Pick<RateLimitOptions, 'continueExceeding' | 'exponentialBackoff'>
      this.inner = inner ?? new RedisStore(p.continueExceeding === true, p.exponentialBackoff === true, redis, nameSpace)
    }

    incr (key: string, cb: (err: Error | null, res?: { current: number, ttl: number }) => void, timeWindow?: number, max?: number): void {
      this.inner.incr(key, (err, res) => {
        if (err !== null) countFailure(key, err)
        cb(err, res)
      }, timeWindow as number, max as number)
    }

    child (routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      return new WafRedisStore({}, this.inner.child(routeOptions))
    }
  }

  return { store: WafRedisStore, skipOnError: true }
}
