import { performance } from 'node:perf_hooks'
import '../lib/rules/seclang/index.js'
import { loadRules, RuleEngine, RuleSetBuilder } from '../lib/rules/index.js'
import type { RequestInput } from '../lib/rules/index.js'
import { configureSecLang, secLangReport, summarize } from '../lib/rules/seclang/index.js'
import { crsRuleFiles } from './crs-rules.js'
import { median } from './harness.js'
import { printResponseCost } from './response.js'
import { formPost, TYPICAL_GET as GET } from './requests.js'
import { trafficMix } from './crs-traffic.js'
import { printCrsAllocation } from './crs-alloc.js'

/**
 * The OWASP CRS on the rule engine, in process: median µs per request (both phases) for a
 * typical GET (10 headers, 5 arguments) and a 4 KB urlencoded form post, at paranoia level 1
 * and 4, in detect mode (every rule runs, nothing stops early).
 */

function perRequestMicros (engine: RuleEngine, input: RequestInput, iterations: number): number {
  for (let i = 0; i < Math.min(200, iterations); i++) engine.check(input)
  const samples: number[] = []
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now()
    engine.check(input)
    samples.push((performance.now() - t0) * 1000)
  }
  return median(samples)
}

export default async function (): Promise<void> {
  const crs = crsRuleFiles()
  if (crs === undefined) {
    process.stdout.write('skipped: no CRS found (../shared/corpus/crs, or Debian modsecurity-crs)\n')
    return
  }
  const post = formPost()
  process.stdout.write(`${crs.label}: median µs per request, both phases, detect mode\n`)
  const mix: Array<Array<[string, number, number]>> = []
  for (const paranoia of [1, 4]) {
    const builder = new RuleSetBuilder()
    configureSecLang(builder, { paranoia })
    const t0 = performance.now()
    await loadRules(crs.paths, builder)
    const engine = new RuleEngine(builder.build(), { mode: 'detect' })
    const loadMs = performance.now() - t0
    const get = perRequestMicros(engine, GET, 2000)
    const form = perRequestMicros(engine, post, 500)
    const logged = engine.check(GET).attacks.map(a => a.ruleId)
    process.stdout.write(`  PL${paranoia}: typical GET ${get.toFixed(1).padStart(7)} µs   4 KB form post ${form.toFixed(1).padStart(7)} µs   ` +
      `(load ${loadMs.toFixed(0)} ms; ${summarize(secLangReport(builder))}; GET logged: ${logged.join(',') || 'nothing'})\n`)
    mix.push(trafficMix().map(([name, input]) => [name, perRequestMicros(engine, input, input.body === undefined ? 2000 : 300), engine.check(input).attacks.length]))
  }
  process.stdout.write('traffic mix: median µs per request at PL1 and PL4 (PL4/PL1), detect mode; rules logged at PL1 / PL4\n')
  for (let i = 0; i < mix[0].length; i++) {
    const [name, pl1, n1] = mix[0][i]
    const [, pl4, n4] = mix[1][i]
    process.stdout.write(`  ${name.padEnd(16)} PL1 ${pl1.toFixed(1).padStart(8)} µs   PL4 ${pl4.toFixed(1).padStart(8)} µs   (${(pl4 / pl1).toFixed(2)}x; logged ${n1} / ${n4})\n`)
  }
  await printCrsAllocation(crs.paths)
  process.stdout.write('response inspection:\n')
  await printResponseCost(1)
}
