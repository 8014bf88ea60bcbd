import type { IncomingMessage } from 'node:http'
import { loadavg } from 'node:os'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { WafContext } from '../lib/lifecycle/context.js'
import type { RuleEngine } from '../lib/rules/engine.js'
import type { RequestCheck } from '../lib/rules/request-check.js'
import { median } from './harness.js'

/**
 * The rule check (the default rules, the benchmark's request) hot and with the caches cold, in
 * process. Hot: checks one after another, CPU µs per check. Cold: before each check a walk over
 * `--evict` MB (a read and a store per 64-byte line) pushes the engine's code and data out of the caches,
 * as the rest of a request and the other processes do between two requests at a fixed rate
 * below saturation; each check alone is timed (the walk is not), median per round. The ratio of
 * cold to hot is the fixed-rate amplification of docs/profiling.md, with no server and no load
 * generator in the figure. `--base` adds the check of another build (the commit before's dist/,
 * copied inside the repository), interleaved round by round.
 *
 *   node dist/bench/rule-check-cold.js
 *   node dist/bench/rule-check-cold.js --base .ab/base --evict 2 --rounds 11
 */
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    evict: { type: 'string', default: '1,2,4' },
    rounds: { type: 'string', default: '7' },
    checks: { type: 'string', default: '500' },
    ua: { type: 'boolean', default: false }
  }
})
const ROUNDS = Number(values.rounds)
const CHECKS = Number(values.checks)
const EVICT = values.evict.split(',').map(Number)
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || !Number.isInteger(CHECKS) || CHECKS < 1 || EVICT.some(mb => !(mb > 0))) {
  process.stderr.write('rule-check-cold: --rounds and --checks take whole numbers >= 1, --evict a list of MB > 0 (1,2,4)\n')
  process.exit(1)
}
const HEADERS = values.ua
  ? ['Host', '127.0.0.1:3000', 'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0']
  : ['Host', '127.0.0.1:3000']

interface Build {
  RuleEngine: new (set: unknown, opts: { mode: 'block' }) => RuleEngine
  RequestCheck: typeof RequestCheck
  defaultRulesDir: () => string
  loadRules: (dir: string) => Promise<{ build: () => unknown }>
}

/** One check as the rules plugin runs it on the benchmark's GET: phase 1 as it arrives, then the body phase. */
async function checkOf (dist: string): Promise<() => void> {
  const at = (file: string): string => pathToFileURL(resolve(dist, file)).href
  const b = { ...await import(at('lib/rules/index.js')), ...await import(at('lib/rules/request-check.js')) } as Build
  const engine = new b.RuleEngine((await b.loadRules(b.defaultRulesDir())).build(), { mode: 'block' })
  const headers: Record<string, string> = {}
  for (let i = 0; i < HEADERS.length; i += 2) headers[HEADERS[i].toLowerCase()] = HEADERS[i + 1]
  // What the check reads of Node's request.
  const request = { method: 'GET', url: '/products?id=42&sort=price', httpVersion: '1.1', httpVersionMajor: 1, rawHeaders: HEADERS, headers } as unknown as IncomingMessage
  const policy = { mode: 'block' }
  const body = { method: 'GET', headers, body: undefined }
  return () => {
    const ctx = { clientIp: '127.0.0.1', policy, attacks: [], action: 'pass', bot: false, wafMs: 0 } as unknown as WafContext
    new b.RequestCheck(engine, request, ctx, false, false).bodyPhase(ctx, body, true)
  }
}

const builds: Record<string, () => void> = { here: await checkOf(resolve(new URL('..', import.meta.url).pathname)) }
if (values.base !== undefined) builds.base = await checkOf(values.base)
const names = Object.keys(builds)

const memory = new Float64Array(Math.max(...EVICT) * 131072)
/** A read and a store per 64-byte line over `mb` MB (stores alone evict much less: the walk must read). */
function evict (mb: number): void {
  const end = mb * 131072
  for (let i = 0; i < end; i += 8) memory[i] += 1
}

function hot (check: () => void, n: number): number {
  const t = process.cpuUsage()
  for (let i = 0; i < n; i++) check()
  const d = process.cpuUsage(t)
  return (d.user + d.system) / n
}

function cold (check: () => void, mb: number, n: number): number {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    evict(mb)
    const t = process.hrtime.bigint()
    check()
    times.push(Number(process.hrtime.bigint() - t) / 1000)
  }
  return median(times)
}

for (const name of names) hot(builds[name], 20_000)
const figures: Record<string, Record<string, number[]>> = {}
const load = loadavg()
for (let r = 0; r < ROUNDS; r++) {
  for (const name of r % 2 === 0 ? names : [...names].reverse()) {
    const f = figures[name] ??= {}
    ;(f.hot ??= []).push(hot(builds[name], 20_000))
    for (const mb of EVICT) (f[`${mb} MB`] ??= []).push(cold(builds[name], mb, CHECKS))
  }
}
process.stdout.write(`rule check, default rules, GET /products?id=42&sort=price${values.ua ? ' with a User-Agent' : ' (Host only)'}: ` +
  `${ROUNDS} interleaved rounds, load average ${load.map(l => l.toFixed(2)).join(' ')} -> ${loadavg().map(l => l.toFixed(2)).join(' ')}\n`)
for (const name of names) {
  const f = figures[name]
  const h = median(f.hot)
  const colds = EVICT.map(mb => `${mb} MB evicted ${median(f[`${mb} MB`]).toFixed(2)} (${(median(f[`${mb} MB`]) / h).toFixed(1)}x)`)
  process.stdout.write(`  ${name.padEnd(5)} hot ${h.toFixed(2)} µs CPU per check; cold: ${colds.join(', ')}\n`)
}
