import { Session } from 'node:inspector/promises'
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import '../lib/rules/seclang/index.js'
import { loadRules, RuleEngine, RuleSetBuilder } from '../lib/rules/index.js'
import { configureSecLang } from '../lib/rules/seclang/index.js'
import { crsRuleFiles } from './crs-rules.js'
import { trafficSeries } from './crs-traffic.js'
import { printSelfTimes, type CpuProfile } from './cpu-profile.js'

/**
 * Where the engine's time goes for one request of the traffic mix, in process (no server, no
 * load generator): the CRS loaded at the given paranoia level in detect mode, request `n` of the
 * kind checked for `n` = 1000, 1001, … (each its own, as in bench/crs.bench.ts) under V8's CPU
 * profiler after a warm-up, then each function's self time as µs per request (its share of the
 * busy samples times the CPU µs per request of the run, measured by process.cpuUsage()).
 *
 *   node dist/bench/crs-profile.js --request 'browser GET' --paranoia 1 --iterations 4000
 *   node dist/bench/crs-profile.js --request 'form POST 4 KB' --keep /tmp/form.cpuprofile
 */
const { values } = parseArgs({
  options: {
    request: { type: 'string', default: 'browser GET' },
    paranoia: { type: 'string', default: '1' },
    iterations: { type: 'string', default: '3000' },
    top: { type: 'string', default: '40' },
    keep: { type: 'string' }
  }
})

const crs = crsRuleFiles()
if (crs === undefined) throw new Error('no CRS found (../shared/corpus/crs, $WAF_CORPUS or Debian modsecurity-crs)')
const nth = trafficSeries().find(([name]) => name === values.request)?.[1]
if (nth === undefined) throw new Error(`--request: one of ${trafficSeries().map(([name]) => name).join(', ')}`)
const builder = new RuleSetBuilder()
configureSecLang(builder, { paranoia: Number(values.paranoia) })
await loadRules(crs.paths, builder)
const engine = new RuleEngine(builder.build(), { mode: 'detect' })
const iterations = Number(values.iterations)
const inputs = Array.from({ length: iterations }, (_, i) => nth(1000 + i))
for (let i = 0; i < 500; i++) engine.check(nth(i))
const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.setSamplingInterval', { interval: 100 })
await session.post('Profiler.start')
const cpu0 = process.cpuUsage()
for (const input of inputs) engine.check(input)
const cpu = process.cpuUsage(cpu0)
const { profile } = await session.post('Profiler.stop')
session.disconnect()
if (values.keep !== undefined) writeFileSync(values.keep, JSON.stringify(profile))
const perRequest = (cpu.user + cpu.system) / iterations
process.stdout.write(`${crs.label} PL${values.paranoia}, ${values.request}: ${perRequest.toFixed(1)} µs CPU per request (mean of ${iterations}, profiler on)\n`)
printSelfTimes(profile as unknown as CpuProfile, perRequest, Number(values.top))
