import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { printRatios, throughput } from './harness.js'
import type { Scenario } from './harness.js'
import { startCollector } from './collector.js'
import { nginxAvailable, startNginxProxy } from './nginx.js'

/**
 * The gateway against the same upstream (the demo upstream, in its own process): with every waf
 * plugin, with none, a plain @fastify/reply-from proxy, and nginx as a reverse proxy with its
 * access log, plus nginx with ModSecurity and the CRS where Debian's packages are installed.
 */
const PATH = '/products?id=42&sort=price'

async function startUpstream (): Promise<{ url: string, close: () => Promise<void> }> {
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

export default async function (): Promise<void> {
  const upstream = await startUpstream()
  const collector = await startCollector()
  try {
    const scenarios: Scenario[] = [
      { name: 'gateway, full waf suite', module: 'servers/gateway.js', args: { upstream: upstream.url, collector: collector.url, waf: true } },
      { name: 'gateway, no waf plugins', module: 'servers/gateway.js', args: { upstream: upstream.url, collector: collector.url, waf: false } },
      // Where the full suite's cost goes: the lightest plugin alone (the shared context, the id
      // sent upstream, the upstream timing), the rule check with no log, the logs with no rule check.
      { name: 'gateway, heartbeat only', module: 'servers/gateway.js', args: { upstream: upstream.url, collector: collector.url, waf: true, only: ['heartbeat'] } },
      { name: 'gateway, rule check only', module: 'servers/gateway.js', args: { upstream: upstream.url, collector: collector.url, waf: true, only: ['rules'] } },
      { name: 'gateway, forensic+access+heartbeat only', module: 'servers/gateway.js', args: { upstream: upstream.url, collector: collector.url, waf: true, only: ['forensic', 'access', 'heartbeat'] } },
      { name: 'plain @fastify/reply-from proxy', module: 'servers/proxy.js', args: { upstream: upstream.url } }
    ]
    if (nginxAvailable(false)) {
      scenarios.push({ name: 'nginx proxy, access_log on', external: async () => await startNginxProxy(upstream.url, { modsecurity: false }) })
    } else {
      process.stdout.write('  (nginx is not installed: apt-get install nginx-light)\n')
    }
    if (nginxAvailable(true)) {
      scenarios.push({ name: 'nginx + ModSecurity + CRS 3.3 (PL1)', external: async () => await startNginxProxy(upstream.url, { modsecurity: true }) })
    } else {
      process.stdout.write('  (nginx with ModSecurity is not installed: apt-get install libnginx-mod-http-modsecurity modsecurity-crs)\n')
    }
    for (const s of scenarios) s.path = PATH
    const results = await throughput(scenarios, {
      durationSec: Number(process.env.BENCH_SECONDS ?? 5),
      rounds: Number(process.env.BENCH_ROUNDS ?? 3)
    })
    printRatios(`GET ${PATH} through each proxy, 50 connections (median of interleaved rounds)`, results, 'gateway, no waf plugins')
  } finally {
    await collector.close()
    await upstream.close()
  }
}
