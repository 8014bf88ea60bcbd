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
interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface CpuProfile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

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

/** The package or area a script belongs to, for the per-package sums. */
function areaOf (url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`
  const dist = url.indexOf('/dist/')
  if (dist !== -1) return `waflog ${url.slice(dist + 6).split('/').slice(0, -1).join('/')}`
  return url
}

function selfTimes (p: CpuProfile): { byFn: Map<string, number>, byArea: Map<string, number>, busy: number } {
  const byId = new Map(p.nodes.map(n => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0))
  const byFn = new Map<string, number>()
  const byArea = new Map<string, number>()
  let busy = 0
  for (const [id, us] of self) {
    const f = (byId.get(id) as ProfileNode).callFrame
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue
    busy += us
    const file = f.url === '' ? '' : f.url.replace(/^.*\/(node_modules|dist)\//, '$1/').replace(/^file:\/\//, '')
    const key = `${f.functionName || '(anonymous)'} ${file}${f.url === '' ? '' : `:${f.lineNumber + 1}`}`
    byFn.set(key, (byFn.get(key) ?? 0) + us)
    const area = areaOf(f.url, f.functionName)
    byArea.set(area, (byArea.get(area) ?? 0) + us)
  }
  return { byFn, byArea, busy }
}

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
    const { byFn, byArea, busy } = selfTimes(prof)
    // The profile's busy samples, scaled to the run's CPU µs (the profiler's own cost included).
    const scale = cpuPerReq / busy
    const print = (title: string, m: Map<string, number>, n: number): void => {
      process.stdout.write(`\n${title} (self time, µs per request; share of busy samples)\n`)
      for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
        process.stdout.write(`  ${(us * scale).toFixed(2).padStart(7)}  ${(100 * us / busy).toFixed(1).padStart(5)}%  ${k}\n`)
      }
    }
    print('by package', byArea, 30)
    print('by function', byFn, Number(values.top))
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
  await collector.close()
  await upstream.close()
}
