import t from 'tap'
import type { Test } from 'tap'
import http from 'node:http'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import { Redis } from 'ioredis'
import { waf, wafRateLimitHooks, wafRateLimitKey, wafRateLimitRedis, wafServerOptions } from '../../plugins/index.js'
import { redisMissing, startRedis } from '../helpers/redis.js'

/**
 * The CC counters in a real redis-server: two apps share one limit per client and domain; a slow
 * or stopped Redis lets requests through (counted as rl_err, warned once per interval), and the
 * limit applies again once Redis is back.
 */

const MAX = 3

interface Built { app: FastifyInstance, port: number, warnings: string[] }

async function build (t: Test, url: string, warnInterval = 60_000): Promise<Built> {
  const warnings: string[] = []
  const app = Fastify({ ...wafServerOptions(), logger: { level: 'warn', stream: { write: (s: string) => { warnings.push(String((JSON.parse(s) as { msg: unknown }).msg)) } } } })
  await app.register(waf, {
    transport: { channels: { access: 'file:///dev/null', attack: 'file:///dev/null', heart: 'file:///dev/null' } },
    forensic: false,
    rules: false,
    heartbeat: { interval: 600_000 }
  })
  await app.register(rateLimit, { max: MAX, timeWindow: 60_000, keyGenerator: wafRateLimitKey, ...wafRateLimitHooks(), ...wafRateLimitRedis(app, { url, timeout: 100, warnInterval }) })
  app.get('/', async () => 'ok')
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return { app, port: (app.server.address() as { port: number }).port, warnings }
}

/** One GET with its status and how long it took. */
async function get (port: number, host: string): Promise<{ status: number, ms: number }> {
  const started = performance.now()
  return await new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, res => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }))
    })
    req.setTimeout(5000, () => req.destroy(new Error('timed out')))
    req.on('error', reject)
  })
}

function counters (app: FastifyInstance, domain: string): { ac: number, cc: number, rl_err: number } {
  const c = app.wafHeartbeat.snapshot().domains[domain]
  return { ac: c?.ac ?? 0, cc: c?.cc ?? 0, rl_err: c?.rl_err ?? 0 }
}

/** Waits until a request is counted (the heartbeat counts when the response has ended). */
async function settle (app: FastifyInstance, domain: string, ac: number): Promise<void> {
  const until = Date.now() + 3000
  while (counters(app, domain).ac < ac && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 10))
}

/** Waits until the app's Redis client is connected again: a request is limited again. */
async function limitedAgain (port: number, tag: string): Promise<boolean> {
  const until = Date.now() + 15_000
  for (let i = 0; Date.now() < until; i++) {
    let last = 0
    for (let n = 0; n <= MAX; n++) last = (await get(port, `${tag}${i}.example`)).status
    if (last === 429) return true
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  return false
}

const missing = redisMissing()

t.test('two apps on one Redis share one limit per client and domain', { skip: missing }, async t => {
  const redis = await startRedis(t)
  const a = await build(t, redis.url)
  const b = await build(t, redis.url)
  t.ok(await limitedAgain(a.port, 'warm'), 'A counts in Redis')
  t.ok(await limitedAgain(b.port, 'warm'), 'B counts in Redis')
  const statuses: number[] = []
  for (const target of [a, b, a]) statuses.push((await get(target.port, 'shop.example')).status)
  t.same(statuses, [200, 200, 200], `${MAX} requests spread over two apps are within the limit`)
  t.equal((await get(b.port, 'shop.example')).status, 429, 'the next on B is over the shared limit')
  t.equal((await get(a.port, 'shop.example')).status, 429, 'and on A')
  t.equal((await get(a.port, 'other.example')).status, 200, 'another domain has its own limit')
  await settle(a.app, 'shop.example', 3)
  await settle(b.app, 'shop.example', 2)
  t.same(counters(a.app, 'shop.example'), { ac: 3, cc: 1, rl_err: 0 }, 'A counted its 429 as cc')
  t.same(counters(b.app, 'shop.example'), { ac: 2, cc: 1, rl_err: 0 }, 'B counted its 429 as cc')
})

t.test('a slow Redis: the request waits rateLimit.redisTimeout at most, passes, and is counted', { skip: missing }, async t => {
  const redis = await startRedis(t)
  const a = await build(t, redis.url)
  t.ok(await limitedAgain(a.port, 'warm'), 'connected')
  const other = new Redis(redis.url)
  t.teardown(() => other.disconnect())
  // The server does nothing else for 800 ms.
  const sleeping = other.call('DEBUG', 'SLEEP', '0.8')
  await new Promise(resolve => setTimeout(resolve, 50))
  const r = await get(a.port, 'slow.example')
  t.equal(r.status, 200, 'the request passed')
  t.ok(r.ms < 600, `answered in ${r.ms.toFixed(0)} ms, while Redis slept 800 ms`)
  await sleeping
  await settle(a.app, 'slow.example', 1)
  t.same(counters(a.app, 'slow.example'), { ac: 1, cc: 0, rl_err: 1 })
  // Warned at once if it is the interval's first failure, else at the end of the interval or on close.
  await a.app.close()
  t.match(a.warnings.join('\n'), /waf rate limit: Redis store redis:\/\/127\.0\.0\.1:\d+\/0: \d+ failure\(s\), requests passed without a limit; last: Command timed out/)
})

t.test('Redis stopped: requests pass, each failure counted, one warning per interval; back: limited again', { skip: missing }, async t => {
  const redis = await startRedis(t)
  const a = await build(t, redis.url, 60_000)
  t.ok(await limitedAgain(a.port, 'warm'), 'connected')
  await redis.stop()
  const N = MAX + 4
  const results = []
  for (let i = 0; i < N; i++) results.push(await get(a.port, 'down.example'))
  t.same(results.map(r => r.status), Array(N).fill(200), `all ${N} requests passed, past the limit of ${MAX}`)
  t.ok(Math.max(...results.map(r => r.ms)) < 500, 'none waited for Redis')
  await settle(a.app, 'down.example', N)
  t.same(counters(a.app, 'down.example'), { ac: N, cc: 0, rl_err: N }, 'every failure counted under its domain')
  const failureWarnings = a.warnings.filter(w => w.includes('failure(s)'))
  t.equal(failureWarnings.length, 1, 'one warning for the interval, not one per request')

  await redis.start()
  t.ok(await limitedAgain(a.port, 'back'), 'the client reconnected by itself and limits again')
  t.ok(a.warnings.some(w => /is back; limits apply again/.test(w)), 'the return is logged')
})

t.test('a bad URL or option is an error naming it, with no password shown', async t => {
  const app = Fastify()
  t.teardown(() => app.close())
  t.throws(() => wafRateLimitRedis(app, { url: 'http://:s3cret@127.0.0.1:6379/0' }), /^wafRateLimitRedis: option "url" must be a URL with redis: or rediss: \(got http:\), got "http:\/\/:REDACTED@127\.0\.0\.1:6379\/0"$/)
  t.throws(() => wafRateLimitRedis(app, { url: 'redis://127.0.0.1:6379/x' }), /option "url" must end in a database number/)
  t.throws(() => wafRateLimitRedis(app, { url: 'redis://127.0.0.1:6379/0', timeout: 0 }), /option "timeout" must be a whole number of ms/)
})

if (missing !== undefined) t.comment(`skipped: ${missing}`)
