import { performance } from 'node:perf_hooks'
import '../lib/rules/seclang/index.js'
import { loadRules, RuleEngine, RuleSetBuilder } from '../lib/rules/index.js'
import type { RequestInput } from '../lib/rules/index.js'
import { configureSecLang, secLangReport, summarize } from '../lib/rules/seclang/index.js'
import { crsRuleFiles } from './crs-rules.js'
import { median } from './harness.js'
import { printResponseCost } from './response.js'
import { formPost, TYPICAL_GET as GET } from './requests.js'
import { printCrsAllocation } from './crs-alloc.js'
import { trafficSeries } from './crs-traffic.js'

/**
 * The OWASP CRS on the rule engine, in process: median µs per request (both phases) for a
 * typical GET (10 headers, 5 arguments) and a 4 KB urlencoded form post, at paranoia level 1
 * and 4, in detect mode (every rule runs, nothing stops early); then the traffic mix
 * (./crs-traffic.ts), every request of a kind a little different, with the share of prefilter
 * verdicts the engine's result cache served.
 */

/** Median µs per request over `iterations` requests (request i is `nth(i)`, built outside the timing), and the cache's hit ratio. */
function perRequestMicros (engine: RuleEngine, nth: (i: number) => RequestInput, iterations: number): { micros: number, hitRatio: number | undefined } {
  for (let i = 0; i < Math.min(200, iterations); i++) engine.check(nth(i))
  const before = engine.resultCache?.stats()
  const samples: number[] = []
  for (let i = 0; i < iterations; i++) {
    const input = nth(1000 + i)
    const t0 = performance.now()
    engine.check(input)
    samples.push((performance.now() - t0) * 1000)
  }
  const after = engine.resultCache?.stats()
  const looked = before === undefined || after === undefined ? 0 : after.hits + after.misses - before.hits - before.misses
  return { micros: median(samples), hitRatio: before === undefined || after === undefined || looked === 0 ? undefined : (after.hits - before.hits) / looked }
}

function percent (ratio: number | undefined): string {
  return ratio === undefined ? 'off' : `${(100 * ratio).toFixed(0)}%`
}

/** The same request with its own path segment and id each time (what the result cache is measured against). */
function varied (input: RequestInput): (i: number) => RequestInput {
  const q = input.url.indexOf('?')
  const path = q === -1 ? input.url : input.url.slice(0, q)
  const query = q === -1 ? '' : `&${input.url.slice(q + 1)}`
  return i => ({ ...input, url: `${path}/${i}?id=${i}${query}` })
}

export default async function (): Promise<void> {
  const crs = crsRuleFiles()
  if (crs === undefined) {
    process.stdout.write('skipped: no CRS found (../shared/corpus/crs, or Debian modsecurity-crs)\n')
    return
  }
  const post = formPost()
  process.stdout.write(`${crs.label}: median µs per request, both phases, detect mode; every request has its own path and id (result cache hits in brackets)\n`)
  const mix: Array<Array<[string, { micros: number, hitRatio: number | undefined }, number]>> = []
  for (const paranoia of [1, 4]) {
    const builder = new RuleSetBuilder()
    configureSecLang(builder, { paranoia })
    const t0 = performance.now()
    await loadRules(crs.paths, builder)
    const engine = new RuleEngine(builder.build(), { mode: 'detect' })
    const loadMs = performance.now() - t0
    const get = perRequestMicros(engine, varied(GET), 2000)
    const form = perRequestMicros(engine, varied(post), 500)
    const logged = engine.check(GET).attacks.map(a => a.ruleId)
    process.stdout.write(`  PL${paranoia}: typical GET ${get.micros.toFixed(1).padStart(7)} µs [${percent(get.hitRatio)}]   4 KB form post ${form.micros.toFixed(1).padStart(7)} µs [${percent(form.hitRatio)}]   ` +
      `(load ${loadMs.toFixed(0)} ms; ${summarize(secLangReport(builder))}; GET logged: ${logged.join(',') || 'nothing'})\n`)
    mix.push(trafficSeries().map(([name, nth]) => {
      const first = nth(0)
      return [name, perRequestMicros(engine, nth, first.body === undefined ? 2000 : 300), engine.check(first).attacks.length]
    }))
  }
  process.stdout.write('traffic mix: median µs per request at PL1 and PL4 (PL4/PL1), detect mode; rules logged at PL1 / PL4; result cache hits at PL1 / PL4\n')
  for (let i = 0; i < mix[0].length; i++) {
    const [name, pl1, n1] = mix[0][i]
    const [, pl4, n4] = mix[1][i]
    process.stdout.write(`  ${name.padEnd(16)} PL1 ${pl1.micros.toFixed(1).padStart(8)} µs   PL4 ${pl4.micros.toFixed(1).padStart(8)} µs   ` +
      `(${(pl4.micros / pl1.micros).toFixed(2)}x; logged ${n1} / ${n4}; cache hits ${percent(pl1.hitRatio)} / ${percent(pl4.hitRatio)})\n`)
  }
  await printCrsAllocation(crs.paths)
  process.stdout.write('response inspection:\n')
  await printResponseCost(1)
}
