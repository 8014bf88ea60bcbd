import { loadavg } from 'node:os'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { printRatios, throughput } from './harness.js'
import type { Scenario } from './harness.js'
import { startCollector } from './collector.js'
import { GATEWAY_PATH, gatewayArgs, startUpstream } from './gateway.bench.js'
import { nginxAvailable, startNginxProxy } from './nginx.js'
import type { PluginKey } from '../lib/lifecycle/context.js'

/**
 * An interleaved A/B of one gateway variant, built twice: the commit before (its dist/ copied to
 * a directory inside the repository, so that its imports find node_modules) against this dist/,
 * with the harness's rounds (saturated req/s and CPU µs per request, then the same fixed rate
 * for both). Prints the load average before and after, which every figure needs on a shared machine.
 *
 *   git stash && npm run build && cp -r dist .ab/base && git stash pop && npm run build
 *   BENCH_ROUNDS=7 node dist/bench/ab.js --base .ab/base --none
 *   node dist/bench/ab.js --base .ab/base --only heartbeat --plain --nginx
 *   BENCH_ROUNDS=5 node dist/bench/ab.js --base .ab/base --hello logging   # hello world: logging or full suite
 */
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    only: { type: 'string', multiple: true },
    none: { type: 'boolean', default: false },
    plain: { type: 'boolean', default: false },
    nginx: { type: 'boolean', default: false },
    hello: { type: 'string' }
  }
})
if (values.hello !== undefined && values.hello !== 'logging' && values.hello !== 'full') {
  process.stderr.write('ab: --hello takes logging or full\n')
  process.exit(2)
}
if (values.base === undefined) {
  process.stderr.write('ab: --base <dist directory of the commit before> is required\n')
  process.exit(2)
}
// child.ts resolves a module against dist/bench: an absolute file URL stands as it is.
const baseServer = (file: string): string => pathToFileURL(resolve(values.base as string, 'bench/servers', file)).href

const upstream = await startUpstream()
const collector = await startCollector()
try {
  const only = values.none ? undefined : (values.only as PluginKey[] | undefined) ?? ['forensic', 'rules', 'access', 'attack', 'heartbeat']
  const hello = values.hello
  // --hello: suite.bench.ts's hello-world server with the logging suite (or the full suite), GET /.
  const [file, args, path] = hello === undefined
    ? ['gateway.js', gatewayArgs(upstream.url, collector.url, only), GATEWAY_PATH]
    : ['suite.js', { collector: collector.url, rules: hello === 'full' }, '/']
  const scenarios: Scenario[] = [
    { name: 'A: before', module: baseServer(file), args, path },
    { name: 'B: after', module: `servers/${file}`, args, path }
  ]
  if (values.plain) scenarios.push({ name: 'plain @fastify/reply-from proxy', module: 'servers/proxy.js', args: { upstream: upstream.url }, path: GATEWAY_PATH })
  if (values.nginx && nginxAvailable(false)) scenarios.push({ name: 'nginx proxy, one worker', external: async () => await startNginxProxy(upstream.url), path: GATEWAY_PATH })
  const load = (): string => loadavg().map(x => x.toFixed(2)).join(' ')
  process.stdout.write(`load average before: ${load()} (${new Date().toISOString()})\n`)
  const results = await throughput(scenarios)
  const what = hello !== undefined ? `hello world, ${hello} suite` : `gateway ${only === undefined ? 'with no waf plugins' : `with ${only.join('+')}`}`
  printRatios(`A/B, ${what}: GET ${path}`, results, 'A: before')
  process.stdout.write(`load average after: ${load()} (${new Date().toISOString()})\n`)
} finally {
  await collector.close()
  await upstream.close()
}
