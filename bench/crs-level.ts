import { performance } from 'node:perf_hooks'
import '../lib/rules/seclang/index.js'
import { loadRules, RuleEngine, RuleSetBuilder } from '../lib/rules/index.js'
import type { RequestInput } from '../lib/rules/index.js'
import { configureSecLang, secLangReport, summarize } from '../lib/rules/seclang/index.js'
import { crsRuleFiles } from './crs-rules.js'
import { median } from './harness.js'
import { formPost, TYPICAL_GET as GET } from './requests.js'
import { trafficSeries } from './crs-traffic.js'

/**
 * One paranoia level of `npm run bench crs` in a process of its own (forked by
 * ./crs.bench.ts): the CRS loaded at that level in detect mode, the typical GET and the 4 KB form,
 * then the traffic mix in rounds; the figures go back to the parent over IPC. A worker runs one
 * engine, and two engines in one process slowed each other: the PL4 form after the PL1 engine
 * 476-500 µs, the same build with PL4 first 536-575 and PL1 after it faster (docs/profiling.md,
 * the order effect in crs-ab's A/Bs).
 *
 *   node dist/bench/crs-level.js <paranoia> <rounds> <first round>
 */

export interface LevelFigures {
  paranoia: number
  loadMs: number
  report: string
  get: Measured
  form: Measured
  /** Rule ids the typical GET logged. */
  logged: string[]
  /** Per kind of the traffic mix: each round's median µs and hit ratio, and how many rules its first request logged. */
  mix: Array<{ name: string, micros: number[], hits: number[], logged: number }>
}

export interface Measured { micros: number, hitRatio: number | undefined }

/** Median µs per request over `iterations` requests (request i is `nth(i)`, built outside the timing), and the cache's hit ratio. */
function perRequestMicros (engine: RuleEngine, nth: (i: number) => RequestInput, iterations: number): Measured {
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

/** The same request with its own path segment and id each time (what the result cache is measured against). */
function varied (input: RequestInput): (i: number) => RequestInput {
  const q = input.url.indexOf('?')
  const path = q === -1 ? input.url : input.url.slice(0, q)
  const query = q === -1 ? '' : `&${input.url.slice(q + 1)}`
  return i => ({ ...input, url: `${path}/${i}?id=${i}${query}` })
}

async function measureLevel (paths: string[], paranoia: number, rounds: number, firstRound: number): Promise<LevelFigures> {
  const builder = new RuleSetBuilder()
  configureSecLang(builder, { paranoia })
  const t0 = performance.now()
  await loadRules(paths, builder)
  const engine = new RuleEngine(builder.build(), { mode: 'detect' })
  const loadMs = performance.now() - t0
  const get = perRequestMicros(engine, varied(GET), 2000)
  const form = perRequestMicros(engine, varied(formPost()), 500)
  const series = trafficSeries()
  const mix = series.map(([name, nth]) => ({ name, micros: [] as number[], hits: [] as number[], logged: engine.check(nth(0)).attacks.length }))
  // One block per kind in a round: a row is the median of its rounds' medians, so that a
  // collection or a JIT step that falls into one block moves one round, not the row.
  for (let r = firstRound; r < firstRound + rounds; r++) {
    series.forEach(([, nth], k) => {
      const block = nth(0).body === undefined ? 2000 : 300
      // Each round sends the next requests of the series, so a round never repeats an earlier one's.
      const m = perRequestMicros(engine, (i: number): RequestInput => nth(r * 10_000 + i), Math.ceil(block / Math.min(rounds, 3)))
      mix[k].micros.push(m.micros)
      if (m.hitRatio !== undefined) mix[k].hits.push(m.hitRatio)
    })
  }
  return { paranoia, loadMs, report: summarize(secLangReport(builder)), get, form, logged: engine.check(GET).attacks.map(a => a.ruleId), mix }
}

if (process.send !== undefined && process.argv[1]?.endsWith('crs-level.js') === true) {
  const [paranoia, rounds, firstRound] = process.argv.slice(2).map(Number)
  const crs = crsRuleFiles()
  if (crs === undefined) throw new Error('crs-level: no CRS found')
  const figures = await measureLevel(crs.paths, paranoia, rounds, firstRound)
  process.send(figures, () => process.exit(0))
}
