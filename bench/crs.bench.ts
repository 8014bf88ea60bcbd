import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { crsRuleFiles } from './crs-rules.js'
import { median } from './harness.js'
import { printResponseCost } from './response.js'
import { printCrsAllocation } from './crs-alloc.js'
import type { LevelFigures } from './crs-level.js'

/**
 * The OWASP CRS on the rule engine, in process: median µs per request (both phases) for a
 * typical GET (10 headers, 5 arguments) and a 4 KB urlencoded form post, at paranoia level 1
 * and 4, in detect mode (every rule runs, nothing stops early); then the traffic mix
 * (./crs-traffic.ts), every request of a kind a little different, with the share of prefilter
 * verdicts the engine's result cache served.
 */

/** A level's figures from a process of its own (./crs-level.ts). */
async function inChild (paranoia: number, rounds: number, firstRound: number): Promise<LevelFigures> {
  const child = fork(fileURLToPath(new URL('./crs-level.js', import.meta.url)), [String(paranoia), String(rounds), String(firstRound)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return await new Promise((resolve, reject) => {
    let figures: LevelFigures | undefined
    child.on('message', m => { figures = m as LevelFigures })
    child.on('error', reject)
    child.on('exit', code => figures !== undefined ? resolve(figures) : reject(new Error(`crs-level PL${paranoia} exited with ${String(code)} before its figures`)))
  })
}

/**
 * Each level in processes of its own, BENCH_CRS_PROCESSES of them (3 by default) in the order
 * PL1 PL4 PL4 PL1 PL1 PL4, each running BENCH_ROUNDS rounds (5 by default; BENCH_QUICK=1: one process, one round) of the traffic mix; a
 * row is the median of all its rounds' medians. One process per level and run moved a row by up
 * to 2x between runs on an idle 2-core host (PL1 browser GET 98-188 µs in six runs, PL4 172-329),
 * while the same processes' rounds mostly agreed: the pooled median is what a run can repeat.
 */
async function measureLevels (): Promise<Map<number, LevelFigures[]>> {
  const quick = process.env.BENCH_QUICK === '1'
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 5)))
  const processes = Math.max(1, Number(process.env.BENCH_CRS_PROCESSES ?? (quick ? 1 : 3)))
  const byLevel = new Map<number, LevelFigures[]>([[1, []], [4, []]])
  for (let p = 0; p < processes; p++) {
    for (const paranoia of p % 2 === 0 ? [1, 4] : [4, 1]) {
      (byLevel.get(paranoia) as LevelFigures[]).push(await inChild(paranoia, rounds, p * rounds))
    }
  }
  return byLevel
}

function printTrafficMix (byLevel: Map<number, LevelFigures[]>): void {
  const [pl1, pl4] = [1, 4].map(l => byLevel.get(l) as LevelFigures[])
  const rounds = pl1.reduce((n, f) => n + f.mix[0].micros.length, 0)
  process.stdout.write(`traffic mix: median µs per request at PL1 and PL4 (PL4/PL1), detect mode, median of ${rounds} rounds in ${pl1.length} processes a level; rules logged at PL1 / PL4; result cache hits at PL1 / PL4; [the processes' own medians]\n`)
  pl1[0].mix.forEach(({ name }, k) => {
    const [m1, m4] = [pl1, pl4].map(runs => median(runs.flatMap(f => f.mix[k].micros)))
    const [h1, h4] = [pl1, pl4].map(runs => { const h = runs.flatMap(f => f.mix[k].hits); return h.length === 0 ? undefined : median(h) })
    const [each1, each4] = [pl1, pl4].map(runs => runs.map(f => median(f.mix[k].micros).toFixed(0)).join(' '))
    process.stdout.write(`  ${name.padEnd(16)} PL1 ${m1.toFixed(1).padStart(8)} µs   PL4 ${m4.toFixed(1).padStart(8)} µs   ` +
      `(${(m4 / m1).toFixed(2)}x; logged ${pl1[0].mix[k].logged} / ${pl4[0].mix[k].logged}; cache hits ${percent(h1)} / ${percent(h4)}; [${each1}] / [${each4}])\n`)
  })
}

function percent (ratio: number | undefined): string {
  return ratio === undefined ? 'off' : `${(100 * ratio).toFixed(0)}%`
}

export default async function (): Promise<void> {
  const crs = crsRuleFiles()
  if (crs === undefined) {
    process.stdout.write('skipped: no CRS found (../shared/corpus/crs, or Debian modsecurity-crs)\n')
    return
  }
  process.stdout.write(`${crs.label}: median µs per request, both phases, detect mode; every request has its own path and id (result cache hits in brackets)\n`)
  const byLevel = await measureLevels()
  for (const [paranoia, runs] of byLevel) {
    const f = runs[0]
    const get = median(runs.map(r => r.get.micros))
    const form = median(runs.map(r => r.form.micros))
    process.stdout.write(`  PL${paranoia}: typical GET ${get.toFixed(1).padStart(7)} µs [${percent(f.get.hitRatio)}]   4 KB form post ${form.toFixed(1).padStart(7)} µs [${percent(f.form.hitRatio)}]   ` +
      `(load ${f.loadMs.toFixed(0)} ms; ${f.report}; GET logged: ${f.logged.join(',') || 'nothing'})\n`)
  }
  printTrafficMix(byLevel)
  await printCrsAllocation(crs.paths)
  process.stdout.write('response inspection:\n')
  await printResponseCost(1)
}
