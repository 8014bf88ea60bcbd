import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildEngine } from '../lib/rules/build-engine.js'
import type { RuleEngine } from '../lib/rules/engine.js'
import type { RequestInput } from '../lib/rules/input.js'
import { ResponseInspection } from '../lib/rules/response-inspect.js'
import { addedMicros, cpuMicros, throughput } from './harness.js'
import type { Request } from './load.js'
import type { Scenario } from './harness.js'
import { startCollector } from './collector.js'
import { writeCrsConf } from './crs-conf.js'
import { trafficSeries } from './crs-traffic.js'
import { gatewayArgs, startUpstream } from './gateway.bench.js'
import { trafficRequests } from './traffic-http.js'

/**
 * What the gateway adds around the rule engine when it runs the CRS: for each request asked
 * (the browser GET and the form POST unless `--request` says otherwise), at one fixed rate,
 * the server CPU µs per request of the gateway with the full suite and the CRS (bench/gateway's
 * SecLang file) and of the same gateway with the rule check switched off for every path (as a
 * config's `routes` does); their difference is what the rule check costs in the gateway. Beside
 * it the engine's own work on the same requests in process (RuleEngine.check, phases 1–2, and
 * phases 3–5 over the upstream's answer); both sides get crs-traffic.ts's series, a request of
 * its own each time (traffic-http.ts). What is left is the gateway's part around the engine
 * (the request's input built, the body kept and parsed, the attack record, the check's hooks).
 *
 *   node dist/bench/gateway-crs-cost.js                        # browser GET, form POST 4 KB
 *   BENCH_ROUNDS=5 node dist/bench/gateway-crs-cost.js --request 'JSON POST 1 KB'
 */
const { values } = parseArgs({ options: { request: { type: 'string', multiple: true } } })
const wanted = values.request ?? ['browser GET', 'form POST 4 KB']
const mix = trafficSeries().filter(([name]) => wanted.includes(name))
if (mix.length !== wanted.length) throw new Error(`--request: one of ${trafficSeries().map(([n]) => n).join(', ')}`)

/**
 * Requests `from` … `from + count - 1` of a kind, made before anything is timed: every check
 * gets a request of its own, as the server does (the result cache remembers what repeats).
 */
function inputs (nth: (n: number) => RequestInput, from: number, count: number): () => RequestInput {
  const list = Array.from({ length: count }, (_, i) => nth(from + i))
  let i = 0
  return () => list[i++ % count]
}

/** The upstream's answer (the demo upstream's JSON echo), for the response phases. */
const ANSWER = Buffer.from(JSON.stringify({ upstream: 'fastify-waflog demo', method: 'GET', url: '/products/search?q=blue', requestId: 'x', bodyBytes: 0 }))

/** µs of the engine's response phases (3–5) over ANSWER, after phases 1–2 (not counted). */
async function responseMicros (engine: RuleEngine, next: () => RequestInput, n: number): Promise<number> {
  const ready: ResponseInspection[] = []
  for (let i = 0; i < n; i++) {
    const input = next()
    const tx = engine.begin(input)
    engine.phase(tx, 1)
    if (input.body !== undefined) engine.body(tx, input.body)
    engine.phase(tx, 2)
    ready.push(new ResponseInspection(engine, tx))
  }
  const head = { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(ANSWER.length) } }
  const one = async (r: ResponseInspection): Promise<void> => {
    await new Promise<void>(resolve => { r.inspect(head, ANSWER, true, () => { resolve() }) })
    r.finish()
  }
  const half = n >> 1
  for (let i = 0; i < half; i++) await one(ready[i])
  const c = process.cpuUsage()
  for (let i = half; i < n; i++) await one(ready[i])
  const d = process.cpuUsage(c)
  return (d.user + d.system) / (n - half)
}

const upstream = await startUpstream()
const collector = await startCollector()
const dir = mkdtempSync(join(tmpdir(), 'waf-bench-crs-cost-'))
try {
  const conf = writeCrsConf(dir, 1)
  if (conf === undefined) throw new Error('no CRS found (../shared/corpus/crs, $WAF_CORPUS or Debian modsecurity-crs)')
  const { engine } = await buildEngine({ rules: [conf.file], defaultRules: false, mode: 'block' })
  const scenarios: Scenario[] = []
  const http = new Map(trafficRequests().map(t => [t.name, t.request]))
  for (const [name] of mix) {
    const req = http.get(name) as Request
    scenarios.push(
      { name: `${name}: gateway + CRS`, module: 'servers/gateway.js', args: { ...gatewayArgs(upstream.url, collector.url, undefined), waf: true, ruleFiles: [conf.file] }, ...req },
      { name: `${name}: same, rule check off`, module: 'servers/gateway.js', args: { ...gatewayArgs(upstream.url, collector.url, ['forensic', 'access', 'attack', 'heartbeat']), ruleFiles: [conf.file] }, ...req }
    )
  }
  const results = await throughput(scenarios)
  process.stdout.write(`\n${conf.label}, full waf suite, block mode; server CPU µs per request at ${results.rate} req/s (saturated in brackets), median of ${results.options.rounds} round(s)\n`)
  process.stdout.write(`  ${'request'.padEnd(16)} ${'with CRS'.padStart(16)} ${'check off'.padStart(16)} ${'rule check'.padStart(16)} ${'engine 1-2'.padStart(10)} ${'engine 3-5'.padStart(10)} ${'around'.padStart(14)}\n`)
  for (const [name, nth] of mix) {
    const on = results.rows.get(`${name}: gateway + CRS`)
    const off = results.rows.get(`${name}: same, rule check off`)
    if (on === undefined || off === undefined) continue
    const n = nth(0).body === undefined ? 3000 : 800
    const next = inputs(nth, 0, 2 * n + 600)
    const request = cpuMicros(() => engine.check(next()), n)
    const response = await responseMicros(engine, next, n)
    const pair = (p: number | undefined, s: number | undefined): string => `${(p ?? Number.NaN).toFixed(1)} (${(s ?? Number.NaN).toFixed(1)})`
    const check = addedMicros(results, `${name}: gateway + CRS`, `${name}: same, rule check off`) ?? Number.NaN
    const checkSat = (on.saturatedMicros ?? Number.NaN) - (off.saturatedMicros ?? Number.NaN)
    const engineUs = request + response
    process.stdout.write(`  ${name.padEnd(16)} ${pair(on.pacedMicros, on.saturatedMicros).padStart(16)} ${pair(off.pacedMicros, off.saturatedMicros).padStart(16)} ` +
      `${pair(check, checkSat).padStart(16)} ${request.toFixed(1).padStart(10)} ${response.toFixed(1).padStart(10)} ${pair(check - engineUs, checkSat - engineUs).padStart(14)}\n`)
  }
  process.stdout.write('  rule check = with CRS - check off; around = rule check - engine (phases 1-5 in process, same request)\n')
} finally {
  rmSync(dir, { recursive: true, force: true })
  await collector.close()
  await upstream.close()
}
