import { fork } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chooseLoad } from './load.js'
import { benchOptions, warmUp } from './harness.js'
import { processTreeCpuMicros } from './proc-cpu.js'
import { startCollector } from './collector.js'
import { GATEWAY_PATH, gatewayArgs, startUpstream } from './gateway.bench.js'
import type { PluginKey } from '../lib/lifecycle/context.js'
import { writeCrsConf } from './crs-conf.js'
import { trafficRequests } from './traffic-http.js'
import type { Request } from './load.js'
import { printSelfTimes, type CpuProfile } from './cpu-profile.js'

/**
 * Where a gateway's CPU time goes, per request: runs one gateway variant at a fixed rate under
 * V8's CPU profiler (started after the warm-up, see child.ts), then prints the server's CPU µs per request and the profile's self time per
 * function and per package, converted to µs per request (self share of the sampled busy time x
 * CPU µs per request). Compare two variants' outputs function by function:
 *
 *   node dist/bench/profile.js --only heartbeat --rate 1500 --seconds 10
 *   node dist/bench/profile.js --none            # no waf plugins
 *   node dist/bench/profile.js                   # the full suite
 *   node dist/bench/profile.js --plain           # a plain @fastify/reply-from proxy (servers/proxy.js)
 *   node dist/bench/profile.js --crs --request 'form POST 4 KB' --rate 150   # the full suite with the CRS
 *
 * `--crs` loads bench/gateway's CRS file (crs-conf.ts: the CRS v4 at PL1, default rules off);
 * `--request` sends a request of the traffic mix (traffic-http.ts) instead of the GET; `--keep
 * <file>` writes the profile there (for Chrome's DevTools, or callers of a function).
 */
const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    none: { type: 'boolean', default: false },
    plain: { type: 'boolean', default: false },
    rate: { type: 'string', default: '1500' },
    seconds: { type: 'string', default: '10' },
    top: { type: 'string', default: '40' },
    trace: { type: 'string' },
    crs: { type: 'boolean', default: false },
    request: { type: 'string' },
    keep: { type: 'string' }
  }
})

function fail (message: string): never { throw new Error(message) }

const upstream = await startUpstream()
const collector = await startCollector()
const dir = mkdtempSync(join(tmpdir(), 'waf-bench-prof-'))
try {
  const only = values.none ? undefined : (values.only as PluginKey[] | undefined) ?? ['forensic', 'rules', 'access', 'attack', 'heartbeat']
  const execArgv = values.trace === undefined ? [] : values.trace.split(/\s+/)
  const crs = values.crs ? writeCrsConf(dir, 1) : undefined
  if (values.crs && crs === undefined) throw new Error('--crs: no CRS found (../shared/corpus/crs, $WAF_CORPUS or Debian modsecurity-crs)')
  const gateway = { ...gatewayArgs(upstream.url, collector.url, only), ...(crs === undefined ? {} : { ruleFiles: [crs.file] }) }
  const server = values.plain ? ['servers/proxy.js', JSON.stringify({ upstream: upstream.url })] : ['servers/gateway.js', JSON.stringify(gateway)]
  const child = fork(fileURLToPath(new URL('./child.js', import.meta.url)), server,
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number, error?: string }) => m.port !== undefined ? resolve(m.port) : reject(new Error(m.error)))
  })
  const load = chooseLoad()
  const req: Request = values.request === undefined
    ? { path: GATEWAY_PATH, method: 'GET', headers: {} }
    : trafficRequests().find(t => t.name === values.request)?.request ?? fail(`--request: one of ${trafficRequests().map(t => t.name).join(', ')}`)
  await warmUp(port, { name: 'gateway', ...req }, load, { ...benchOptions(), connections: 50 })
  const file = join(dir, 'run.cpuprofile')
  const ask = async (m: unknown): Promise<void> => await new Promise(resolve => { child.once('message', () => resolve()); child.send(m as string) })
  await ask('profile-start')
  const before = processTreeCpuMicros(child.pid as number)
  const run = await load.paced(port, req, Number(values.rate), Number(values.seconds))
  const cpuPerReq = (processTreeCpuMicros(child.pid as number) - before) / run.total
  await ask({ profileStop: file })
  if (values.keep !== undefined) copyFileSync(file, values.keep)
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.send('close')
  await exited
  process.stdout.write(`${values.plain ? 'plain reply-from proxy' : only === undefined ? 'gateway with no waf plugins' : `gateway with ${only.join('+')}`}${crs === undefined ? '' : ` and ${crs.label}`}, ${req.method} ${req.path.slice(0, 40)}: ${run.rps.toFixed(0)} req/s achieved, ${run.total} requests, ${cpuPerReq.toFixed(1)} µs server CPU per request (whole run)\n`)
  if (values.trace === undefined) {
    const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
    printSelfTimes(prof, cpuPerReq, Number(values.top))
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
  await collector.close()
  await upstream.close()
}
