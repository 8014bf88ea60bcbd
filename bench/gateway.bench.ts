import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { printRatios, throughput } from './harness.js'
import type { Scenario } from './harness.js'
import { startCollector } from './collector.js'
import { nginxAvailable, startNginxProxy } from './nginx.js'
import { crsComparison } from './gateway-crs.js'
import { redisAvailable, startRedisServer } from './redis.js'
import { PLUGIN_KEYS } from '../lib/lifecycle/context.js'
import type { PluginKey } from '../lib/lifecycle/context.js'

/**
 * The gateway against the same upstream (the demo upstream, in its own process): with every waf
 * plugin, with none, a plain @fastify/reply-from proxy, and nginx as a reverse proxy with its
 * access log; then the gateway with the CRS against nginx + ModSecurity + the same CRS, request by
 * request of the traffic mix (gateway-crs.ts).
 */
export const GATEWAY_PATH = '/products?id=42&sort=price'
const PATH = GATEWAY_PATH
const BASE = 'gateway, no waf plugins'
const NGINX_ROW = 'nginx proxy, one worker, access_log on'
const FLOOR_ROW = 'floor: node:http + undici dispatch alone'

export async function startUpstream (): Promise<{ url: string, close: () => Promise<void> }> {
  const child = fork(fileURLToPath(new URL('./servers/upstream.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url))
    child.once('exit', code => reject(new Error(`upstream exited with ${String(code)}`)))
  })
  return {
    url,
    close: async () => {
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.send('close')
      await exited
    }
  }
}

/** servers/gateway.js's arguments: no waf plugins (`only` undefined), some of them, or all. */
export function gatewayArgs (upstream: string, collector: string, only?: PluginKey[]): Record<string, unknown> {
  return { upstream, collector, waf: only !== undefined, ...(only === undefined || only.length === PLUGIN_KEYS.length ? {} : { only }) }
}

export default async function (): Promise<void> {
  const upstream = await startUpstream()
  const collector = await startCollector()
  const redis = redisAvailable() ? await startRedisServer() : undefined
  try {
    const gw = (only?: PluginKey[]): Record<string, unknown> => gatewayArgs(upstream.url, collector.url, only)
    const scenarios: Scenario[] = [
      { name: BASE, module: 'servers/gateway.js', args: gw(), budget: { ratio: { min: 0.65, of: NGINX_ROW } } },
      // Where the full suite's cost goes: the lightest plugin alone (the shared context, the id
      // sent upstream, the upstream timing), the three logs with no rule check, the rule check with no log.
      { name: 'gateway, heartbeat only', module: 'servers/gateway.js', args: gw(['heartbeat']), budget: { addedMicros: 3 } },
      { name: 'gateway, forensic+access+heartbeat only', module: 'servers/gateway.js', args: gw(['forensic', 'access', 'heartbeat']), budget: { addedMicros: 12 } },
      { name: 'gateway, rule check only', module: 'servers/gateway.js', args: gw(['rules']), budget: { addedMicros: 12 } },
      { name: 'gateway, full waf suite', module: 'servers/gateway.js', args: gw([...PLUGIN_KEYS]), budget: { addedMicros: 25, ratio: { min: 0.75 } } },
      { name: 'plain @fastify/reply-from proxy', module: 'servers/proxy.js', args: { upstream: upstream.url } },
      // The floor under any Node gateway: node:http and undici's dispatch, nothing else. Always
      // measured (BENCH_GATEWAY_ROWS keeps it), so each table splits the gap to nginx into Node's part and ours.
      { name: FLOOR_ROW, module: 'servers/floor.js', args: { upstream: upstream.url } },
      // The CC limit's own cost, in memory and in Redis (one EVALSHA per request on loopback).
      { name: 'gateway, no waf plugins, rate limit in memory', module: 'servers/gateway.js', args: { ...gw(), rateLimit: 'memory' } }
    ]
    if (redis !== undefined) {
      scenarios.push({ name: 'gateway, no waf plugins, rate limit in Redis', module: 'servers/gateway.js', args: { ...gw(), rateLimit: redis.url } })
    } else {
      process.stdout.write('  (redis-server is not installed: apt-get install redis-server)\n')
    }
    if (nginxAvailable(false)) {
      scenarios.push({ name: NGINX_ROW, external: async () => await startNginxProxy(upstream.url) })
    } else {
      process.stdout.write('  (nginx is not installed: apt-get install nginx-light)\n')
    }
    for (const s of scenarios) s.path = PATH
    // BENCH_GATEWAY_ROWS=<regex> measures the baseline and the matching rows only (e.g. 'rate limit'),
    // and of the CRS comparison the requests whose row names match (e.g. 'CRS', 'browser GET').
    const rows = process.env.BENCH_GATEWAY_ROWS
    const picked = rows === undefined || rows === '' ? undefined : new RegExp(rows)
    // The floor comes with any row picked, so that every table shows it; a pick of none (e.g. 'CRS') runs no table.
    const matched = picked === undefined ? scenarios : scenarios.filter(s => s.name !== BASE && s.name !== FLOOR_ROW && picked.test(s.name))
    const chosen = picked === undefined ? scenarios : matched.length === 0 ? [] : scenarios.filter(s => s.name === BASE || s.name === FLOOR_ROW || matched.includes(s))
    // A budget against a row left out has nothing to be judged by.
    for (const s of chosen) if (s.budget?.ratio?.of !== undefined && !chosen.some(c => c.name === s.budget?.ratio?.of)) delete s.budget
    if (chosen.length > 1) {
      const results = await throughput(chosen)
      printRatios(`GET ${PATH} through each proxy (median of interleaved rounds)`, results, BASE, { budgets: true })
    }
    if (redis !== undefined && chosen.some(s => s.args?.rateLimit === redis.url)) {
      const { calls, inScript, requests } = await redis.perRequest()
      const per = (n: number): string => (n / Math.max(1, requests)).toFixed(4)
      process.stdout.write(`  Redis store: ${requests} requests counted, ${calls} script calls sent = ${per(calls)} round trips per request ` +
        `(inside the script, no round trip: ${per(inScript)} commands per request)\n`)
    }
    await crsComparison(upstream.url, collector.url, picked)
  } finally {
    await redis?.close()
    await collector.close()
    await upstream.close()
  }
}
