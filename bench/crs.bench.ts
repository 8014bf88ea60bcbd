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

/**
 * The traffic mix at PL1 and PL4 in rounds (BENCH_ROUNDS, 5 by default): each engine in turn
 * runs every request kind in a block, round after round, and a row is the median of its rounds'
 * medians. One block per kind and level moved a row by up to 2x between two runs on an idle
 * machine (a PL4 JSON POST 283 µs in one, 490 in the next), as a collection or the JIT fell into
 * one block or another. The engines are not interleaved: a worker runs one, and switching between
 * two in every round made both slower (their data out of the CPU's caches).
 */
function printTrafficMix (engines: readonly RuleEngine[]): void {
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5))
  const series = trafficSeries()
  const micros = series.map(() => engines.map(() => [] as number[]))
  const hits = series.map(() => engines.map(() => [] as number[]))
  engines.forEach((engine, e) => {
    for (let r = 0; r < rounds; r++) {
      series.forEach(([, nth], k) => {
        const block = nth(0).body === undefined ? 2000 : 300
        // Each round sends the next requests of the series, so a round never repeats an earlier one's.
        const shifted = (i: number): RequestInput => nth(r * 10_000 + i)
        const m = perRequestMicros(engine, shifted, Math.ceil(block / Math.min(rounds, 3)))
        micros[k][e].push(m.micros)
        if (m.hitRatio !== undefined) hits[k][e].push(m.hitRatio)
      })
    }
  })
  process.stdout.write(`traffic mix: median µs per request at PL1 and PL4 (PL4/PL1), detect mode, median of ${rounds} rounds of the kinds interleaved; rules logged at PL1 / PL4; result cache hits at PL1 / PL4\n`)
  series.forEach(([name, nth], k) => {
    const [pl1, pl4] = micros[k].map(median)
    const [n1, n4] = engines.map(e => e.check(nth(0)).attacks.length)
    const [h1, h4] = hits[k].map(h => h.length === 0 ? undefined : median(h))
    process.stdout.write(`  ${name.padEnd(16)} PL1 ${pl1.toFixed(1).padStart(8)} µs   PL4 ${pl4.toFixed(1).padStart(8)} µs   ` +
      `(${(pl4 / pl1).toFixed(2)}x; logged ${n1} / ${n4}; cache hits ${percent(h1)} / ${percent(h4)})\n`)
  })
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
  const engines: RuleEngine[] = []
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
    engines.push(engine)
  }
  printTrafficMix(engines)
  await printCrsAllocation(crs.paths)
  process.stdout.write('response inspection:\n')
  await printResponseCost(1)
}
