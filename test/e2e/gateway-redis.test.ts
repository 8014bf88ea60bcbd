import t from 'tap'
import http from 'node:http'
import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { startDemoUpstream } from '../../example-app/upstream.js'
import { gatewayRefuses, startGateway } from '../helpers/gateway.js'
import type { GatewayProcess } from '../helpers/gateway.js'
import { redisMissing, startRedis } from '../helpers/redis.js'

/**
 * Two gateway processes, as two machines behind a load balancer would run them, with
 * `rateLimit.redis` on one real redis-server: one CC limit per client and domain across both; a
 * stopped Redis lets requests through, counted as rl_err in the heartbeat; the limit is back when
 * Redis is.
 */

const MAX = 4

async function get (port: number, host: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, res => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.setTimeout(5000, () => req.destroy(new Error(`GET via ${port} timed out`)))
    req.on('error', reject)
  })
}

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

function fileLines (file: string): Json[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter(l => l.length > 0).map(l => JSON.parse(l) as Json)
}

/** A counter of a domain summed over every heartbeat the gateway wrote, once it reaches `want` (or 5 s pass). */
async function heartTotal (dir: string, domain: string, counter: string, want: number): Promise<number> {
  const until = Date.now() + 5000
  for (;;) {
    const n = fileLines(join(dir, 'heartbeat.log')).reduce((sum, r) => sum + ((r.domains?.[domain]?.[counter] as number | undefined) ?? 0), 0)
    if (n >= want || Date.now() > until) return n
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** Polls until a fresh domain is limited on the gateway: its Redis client is connected. */
async function limits (gw: GatewayProcess, tag: string): Promise<boolean> {
  const until = Date.now() + 20_000
  for (let i = 0; Date.now() < until; i++) {
    let last = 0
    for (let n = 0; n <= MAX; n++) last = await get(gw.port, `${tag}${i}.example`)
    if (last === 429) return true
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  return false
}

const missing = redisMissing()

t.test('two gateways, one Redis: one limit; Redis down: fail open, counted; Redis back: limited again', { skip: missing }, async t => {
  const dir = t.testdir({ a: {}, b: {} })
  const redis = await startRedis(t)
  const upstream = await startDemoUpstream()
  t.teardown(() => { upstream.server.close() })
  const env = (name: string): Record<string, string> => ({
    WAF_UPSTREAM: upstream.url,
    WAF_LOG_DIR: join(dir, name),
    WAF_NODE: `edge-${name}`,
    WAF_HEARTBEAT_INTERVAL: '200',
    WAF_RATE_LIMIT_MAX: String(MAX),
    WAF_RATE_LIMIT_WINDOW: '60000',
    WAF_RATE_LIMIT_REDIS: redis.url
  })
  const [a, b] = await Promise.all([startGateway(env('a'), dir), startGateway(env('b'), dir)])
  t.teardown(async () => { await Promise.all([a.stop(), b.stop()]) })
  t.ok(await limits(a, 'warm'), 'gateway a counts in Redis')
  t.ok(await limits(b, 'warm'), 'gateway b counts in Redis')

  const spread = []
  for (const gw of [a, b, a, b]) spread.push(await get(gw.port, 'shop.example'))
  t.same(spread, [200, 200, 200, 200], `${MAX} requests over two gateways are within the limit`)
  t.equal(await get(a.port, 'shop.example'), 429, 'one more on a is over the shared limit')
  t.equal(await get(b.port, 'shop.example'), 429, 'and on b')
  t.equal(await heartTotal(join(dir, 'a'), 'shop.example', 'cc', 1), 1, 'a counted its 429 as cc')
  t.equal(await heartTotal(join(dir, 'b'), 'shop.example', 'cc', 1), 1, 'b counted its 429 as cc')
  const access = fileLines(join(dir, 'b', 'access.log')).filter(r => r.host === 'shop.example')
  t.same(access.map(r => [r.response.status, r.waf.cc, r.node]), [[200, false, 'edge-b'], [200, false, 'edge-b'], [429, true, 'edge-b']], 'b\'s access log: the 429 marked cc, with its node')

  await redis.stop()
  const N = MAX + 3
  const down = []
  for (let i = 0; i < N; i++) down.push(await get(a.port, 'down.example'))
  t.same(down, Array(N).fill(200), `Redis down: all ${N} requests pass, past the limit of ${MAX}`)
  t.equal(await heartTotal(join(dir, 'a'), 'down.example', 'rl_err', N), N, 'each failure is counted as rl_err under its domain')
  t.match(a.stdout(), /waf rate limit: Redis store redis:\/\/127\.0\.0\.1:\d+\/0: \d+ failure\(s\), requests passed without a limit/, 'and reported at warn level')

  await redis.start()
  t.ok(await limits(a, 'back-a'), 'a reconnected by itself and limits again')
  t.ok(await limits(b, 'back-b'), 'b too')
  const again = []
  for (const gw of [b, a, b, a, b]) again.push(await get(gw.port, 'again.example'))
  t.same(again, [200, 200, 200, 200, 429], 'the limit is shared again')
})

t.test('a bad rateLimit.redis stops the start, naming the setting and hiding the password', { skip: missing }, async t => {
  const dir = t.testdir({})
  const r = await gatewayRefuses({ WAF_RATE_LIMIT_REDIS: 'redis//:pw@127.0.0.1:6379' }, dir)
  t.equal(r.code, 1)
  t.match(r.stderr, /"rateLimit\.redis" must be a Redis URL/)
  t.notMatch(r.stderr, /pw@/)
})

if (missing !== undefined) t.comment(`skipped: ${missing}`)
