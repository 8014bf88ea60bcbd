import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { chooseLoad } from './load.js'
import type { Load, LoadRun, Request } from './load.js'
import type { RequestSeries } from './request-series.js'
import { processTreeCpuMicros } from './proc-cpu.js'

/**
 * Servers measured side by side: every scenario's server runs in its own child process, the load
 * comes from `wrk` in its own process (see load.ts), and rounds are interleaved (A B C A B C …) so
 * that drift on the machine hits every scenario alike. Each scenario is measured twice:
 *
 * 1. saturated: `wrk -t1 -c50` for a bounded time, req/s as a ratio to the table's baseline;
 * 2. paced: every scenario at one fixed request rate, the same for all (a share of the slowest
 *    scenario's saturated rate, so that none of them is saturated), and the server's CPU time
 *    (user + system from /proc/<pid>/stat) divided by the requests answered. The µs a scenario
 *    adds over its baseline at that rate is what the budgets are stated in: on a shared two-core
 *    machine it is far steadier than req/s, which the load generator and the neighbours move.
 */

/** A server the harness does not fork itself (nginx): started and stopped by the scenario. */
export interface ExternalServer {
  port: number
  /** The process whose CPU time (with its descendants') is the server's. */
  pid: number
  stop: () => Promise<void>
}

/**
 * A server process as an ExternalServer: `stop` asks it to end (`ask`: a message, a signal),
 * waits for its exit, then runs `after` (removing its files).
 */
export function childServer (child: ChildProcess, port: number, ask: () => void, after?: () => void): ExternalServer {
  return {
    port,
    pid: child.pid as number,
    stop: async () => {
      const exited = new Promise(resolve => child.once('exit', resolve))
      ask()
      await exited
      after?.()
    }
  }
}

/** What a row must meet; every figure is printed with its verdict beside the measurement. */
export interface Budget {
  /** At most this many server CPU µs per request over the table's baseline, at the fixed rate. */
  addedMicros?: number
  /** Saturated req/s at least `min` times those of `of` (the table's baseline when absent). */
  ratio?: { min: number, of?: string }
  /** Added µs at most `max` times the µs that scenario `of` adds over the baseline. */
  shareOfAdded?: { max: number, of: string }
}

export interface Scenario {
  name: string
  /** A module (path relative to dist/bench, e.g. `servers/hello.js`) whose `build(args)` returns a Fastify app. */
  module?: string
  /** Or a server started by the scenario itself. */
  external?: () => Promise<ExternalServer>
  args?: Record<string, unknown>
  /** Request path and headers for the load. */
  path?: string
  headers?: Record<string, string>
  method?: string
  body?: string
  /** Request `n` of a run as the `n`th of a series (load.ts; the path and body above are request 0). */
  series?: RequestSeries
  budget?: Budget
  /** Measured saturated only: too slow to set the shared fixed rate (nginx + ModSecurity + CRS). */
  saturatedOnly?: boolean
  /** Every response must be refused (non-2xx: an attack the rules deny); else every one must be 2xx. */
  denied?: boolean
}

export interface LoadOptions {
  durationSec?: number
  connections?: number
  rounds?: number
  /** The fixed rate as a share of the slowest scenario's median saturated req/s. */
  rateShare?: number
}

export interface Row {
  rps: number
  rpsRange: [number, number]
  /** Saturated req/s of each round, in round order (for paired ratios). */
  rpsRounds: number[]
  /** Server CPU µs per request when saturated. */
  saturatedMicros?: number
  /** Server CPU µs per request at the fixed rate: median and range over the rounds. */
  pacedMicros?: number
  pacedRange?: [number, number]
  /** Server CPU µs per request at the fixed rate, of each round, in round order. */
  pacedRounds?: number[]
  /** Median achieved rate of the paced runs. */
  achieved?: number
  errors: number
}

export interface Results {
  rows: Map<string, Row>
  /** The fixed rate asked for, in req/s. */
  rate: number
  load: Load
  options: Required<LoadOptions>
  budgets: Map<string, Budget>
}

/** Rounds and durations from the environment: BENCH_ROUNDS, BENCH_SECONDS, and BENCH_QUICK=1 (1 round of 2 s). */
export function benchOptions (): Required<LoadOptions> {
  const quick = process.env.BENCH_QUICK === '1'
  return {
    durationSec: Number(process.env.BENCH_SECONDS ?? (quick ? 2 : 5)),
    rounds: Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3)),
    connections: 50,
    rateShare: Number(process.env.BENCH_RATE_SHARE ?? 0.5)
  }
}

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url))

/** A scenario's server, started as the harness starts it for a run. */
export async function startScenario (s: Scenario): Promise<ExternalServer> {
  if (s.external !== undefined) return await s.external()
  if (s.module === undefined) throw new Error(`${s.name}: a scenario needs a module or an external server`)
  const child: ChildProcess = fork(CHILD, [s.module, JSON.stringify(s.args ?? {})], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: childExecArgv() })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number, error?: string }) => m.port !== undefined ? resolve(m.port) : reject(new Error(m.error)))
    child.once('exit', code => reject(new Error(`${s.name}: server exited with ${String(code)}`)))
  })
  return childServer(child, port, () => child.send('close'))
}

/** BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) goes to every server process. */
function childExecArgv (): string[] {
  const extra = process.env.BENCH_NODE_ARGS
  return extra === undefined || extra === '' ? [] : extra.split(/\s+/)
}

function requestOf (s: Scenario): Request {
  return { path: s.path ?? '/', method: s.method ?? 'GET', headers: s.headers ?? {}, ...(s.body === undefined ? {} : { body: s.body }), ...(s.series === undefined ? {} : { series: s.series }) }
}

function expectErrors (s: Scenario, run: LoadRun): number {
  const refused = s.denied === true
  const bad = (refused ? run.total - run.non2xx : s.name.includes('deny') ? 0 : run.non2xx) + run.errors
  if (bad > 0) process.stderr.write(`${s.name}: ${run.non2xx} non-2xx responses of ${run.total}${refused ? ' (all were to be refused)' : ''}, ${run.errors} socket errors\n`)
  return bad
}

/**
 * Saturated runs of 1 s until the server has answered WARM_UP_REQUESTS (the JIT optimizes after
 * a count of calls, not after a time: on a busy machine one second can be a few hundred
 * requests, all of them in the interpreter), or for at most WARM_UP_SECONDS.
 */
const WARM_UP_REQUESTS = 5000
const WARM_UP_SECONDS = 8

export async function warmUp (port: number, s: Scenario, load: Load, o: Required<LoadOptions>): Promise<void> {
  let answered = 0
  for (let t = 0; t < WARM_UP_SECONDS && answered < WARM_UP_REQUESTS; t++) answered += (await load.saturate(port, requestOf(s), o.connections, 1)).total
}

/**
 * Waits until the server is idle: a slow server (nginx + ModSecurity + the CRS: tens of ms per
 * request) is still working through requests of the warm-up that it read before the load
 * generator closed their connections, and that CPU time would be charged to the measured run.
 * Idle: under 5% of a core over 100 ms, for at most 5 s.
 */
async function settle (pid: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const before = processTreeCpuMicros(pid)
    await new Promise(resolve => setTimeout(resolve, 100))
    if (processTreeCpuMicros(pid) - before < 5_000) return
  }
}

/**
 * Measures `run` on a fresh server: a saturated warm-up (the JIT compiles the hot path), then the
 * run with the server's CPU time around it.
 */
async function measured (s: Scenario, load: Load, o: Required<LoadOptions>, run: (port: number) => Promise<LoadRun>): Promise<{ run: LoadRun, micros: number }> {
  const server = await startScenario(s)
  try {
    await warmUp(server.port, s, load, o)
    await settle(server.pid)
    const before = processTreeCpuMicros(server.pid)
    const r = await run(server.port)
    const after = processTreeCpuMicros(server.pid)
    return { run: r, micros: r.total > 0 ? (after - before) / r.total : Number.NaN }
  } finally {
    await server.stop()
  }
}

/** Both measurements of every scenario: medians over `rounds` interleaved rounds of each. */
export async function throughput (scenarios: Scenario[], opts: LoadOptions = {}): Promise<Results> {
  const o: Required<LoadOptions> = { ...benchOptions(), ...opts }
  const load = chooseLoad()
  const sat = new Map<string, { rps: number[], micros: number[], errors: number }>(scenarios.map(s => [s.name, { rps: [], micros: [], errors: 0 }]))
  for (let round = 0; round < o.rounds; round++) {
    for (const s of inRoundOrder(scenarios, round)) {
      const m = await measured(s, load, o, async port => await load.saturate(port, requestOf(s), o.connections, o.durationSec))
      const acc = sat.get(s.name) as { rps: number[], micros: number[], errors: number }
      acc.rps.push(m.run.rps)
      acc.micros.push(m.micros)
      acc.errors += expectErrors(s, m.run)
    }
  }
  const paced = scenarios.filter(s => s.saturatedOnly !== true)
  const slowest = Math.min(...paced.map(s => median(sat.get(s.name)?.rps ?? [])))
  const rate = Math.max(100, Math.round(slowest * o.rateShare / 100) * 100)
  const pace = new Map<string, { micros: number[], achieved: number[], errors: number }>(paced.map(s => [s.name, { micros: [], achieved: [], errors: 0 }]))
  for (let round = 0; round < o.rounds; round++) {
    for (const s of inRoundOrder(paced, round)) {
      const m = await measured(s, load, o, async port => await load.paced(port, requestOf(s), rate, o.durationSec))
      const acc = pace.get(s.name) as { micros: number[], achieved: number[], errors: number }
      acc.micros.push(m.micros)
      acc.achieved.push(m.run.rps)
      acc.errors += expectErrors(s, m.run)
    }
  }
  const rows = new Map<string, Row>()
  for (const s of scenarios) {
    const a = sat.get(s.name) as { rps: number[], micros: number[], errors: number }
    const p = pace.get(s.name)
    rows.set(s.name, {
      rps: median(a.rps),
      rpsRange: [Math.min(...a.rps), Math.max(...a.rps)],
      rpsRounds: a.rps,
      saturatedMicros: median(a.micros),
      ...(p === undefined
        ? {}
        : { pacedMicros: median(p.micros), pacedRange: [Math.min(...p.micros), Math.max(...p.micros)], pacedRounds: p.micros, achieved: median(p.achieved) }),
      errors: a.errors + (p?.errors ?? 0)
    })
  }
  const budgets = new Map(scenarios.flatMap(s => s.budget === undefined ? [] : [[s.name, s.budget] as const]))
  return { rows, rate, load, options: o, budgets }
}

export function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Odd rounds run the scenarios in reverse, so that a drift over a round falls on both sides of a pair alike. */
function inRoundOrder<T> (scenarios: T[], round: number): T[] {
  return round % 2 === 0 ? scenarios : [...scenarios].reverse()
}

/** The median of `f` over the rounds of two series measured in the same rounds. */
function paired (a: number[], b: number[], f: (x: number, y: number) => number): number {
  return median(a.map((x, i) => f(x, b[i])))
}

/** Server CPU µs per request `name` adds over `base` at the fixed rate: the median of the rounds' differences. */
export function addedMicros (results: Results, name: string, base: string): number | undefined {
  const a = results.rows.get(name)?.pacedRounds
  const b = results.rows.get(base)?.pacedRounds
  return a === undefined || b === undefined ? undefined : paired(a, b, (x, y) => x - y)
}

/** Saturated req/s of `name` as a share of `of`'s: the median of the rounds' ratios. */
export function rpsRatio (results: Results, name: string, of: string): number {
  const a = results.rows.get(name)?.rpsRounds
  const b = results.rows.get(of)?.rpsRounds
  return a === undefined || b === undefined ? Number.NaN : paired(a, b, (x, y) => x / y)
}


/** µs with their sign: `+6.1`, `-2.3`. */
function signed (micros: number): string {
  return `${micros >= 0 ? '+' : ''}${micros.toFixed(1)}`
}

/** The verdicts of a row's budget, e.g. `+6.1 ≤ 8 µs met; 0.81 ≥ 0.75 met`. */
function verdicts (results: Results, name: string, base: string, budget: Budget): string {
  const out: string[] = []
  const verdict = (ok: boolean): string => ok ? 'met' : 'NOT MET'
  const plus = addedMicros(results, name, base)
  if (budget.addedMicros !== undefined && plus !== undefined) out.push(`${signed(plus)} ≤ ${budget.addedMicros} µs ${verdict(plus <= budget.addedMicros)}`)
  if (budget.ratio !== undefined) {
    const of = budget.ratio.of ?? base
    const r = rpsRatio(results, name, of)
    out.push(`${r.toFixed(2)} ≥ ${budget.ratio.min.toFixed(2)} x ${of} ${verdict(r >= budget.ratio.min)}`)
  }
  if (budget.shareOfAdded !== undefined && plus !== undefined) {
    const other = addedMicros(results, budget.shareOfAdded.of, base)
    if (other !== undefined) out.push(`${signed(plus)} ≤ ${budget.shareOfAdded.max} x ${signed(other)} µs (${budget.shareOfAdded.of}) ${verdict(plus <= budget.shareOfAdded.max * other)}`)
  }
  return out.join('; ')
}

/**
 * One table: per scenario the saturated req/s and its ratio to `base`, the server CPU µs per
 * request at the fixed rate (median, and the range over the rounds, which shows the noise), the
 * µs added over `base`, and the budget's verdicts when `budgets` is on.
 */
export function printRatios (title: string, results: Results, base: string, opts: { budgets?: boolean } = {}): void {
  const b = results.rows.get(base)
  const o = results.options
  const w = (s: string, n: number): string => s.padStart(n)
  process.stdout.write(`\n${title}\n`)
  process.stdout.write(`  load: ${results.load.label}\n`)
  process.stdout.write(`  saturated: ${o.connections} connections, ${o.durationSec} s; fixed rate: ${results.rate} req/s ` +
    `(${o.rateShare} of the slowest scenario's saturated rate), ${o.durationSec} s; median of ${o.rounds} interleaved round(s) each` +
    (o.rounds > 1 ? '; "x base" and "added" are medians of the rounds\' own ratios and differences' : '') + '\n')
  process.stdout.write(`  ${'scenario'.padEnd(46)} ${w('req/s', 8)} ${w('x base', 6)} ${w('µs/req', 7)} ${w('(min–max)', 13)} ${w('added', 7)} ${w('at req/s', 8)} ${w('sat µs', 6)}\n`)
  for (const [name, row] of results.rows) {
    const ratio = b === undefined || b.rps === 0 ? '' : rpsRatio(results, name, base).toFixed(2)
    const paced = row.pacedMicros === undefined ? '' : row.pacedMicros.toFixed(1)
    const range = row.pacedRange === undefined ? '' : `${row.pacedRange[0].toFixed(1)}–${row.pacedRange[1].toFixed(1)}`
    const more = name === base ? undefined : addedMicros(results, name, base)
    const plus = more === undefined ? '' : signed(more)
    // A server that fell behind the rate was saturated for part of the run: its µs are not comparable.
    const behind = row.achieved !== undefined && row.achieved < 0.95 * results.rate
    const achieved = row.achieved === undefined ? '' : `${row.achieved.toFixed(0)}${behind ? '!' : ''}`
    const sat = row.saturatedMicros === undefined || Number.isNaN(row.saturatedMicros) ? '' : row.saturatedMicros.toFixed(1)
    process.stdout.write(`  ${name.padEnd(46)} ${w(row.rps.toFixed(0), 8)} ${w(ratio, 6)} ${w(paced, 7)} ${w(range, 13)} ${w(plus, 7)} ${w(achieved, 8)} ${w(sat, 6)}\n`)
  }
  if ([...results.rows.values()].some(r => r.achieved !== undefined && r.achieved < 0.95 * results.rate)) {
    process.stdout.write(`  !: below 95% of the fixed rate (saturated for part of the run, its µs not comparable): lower BENCH_RATE_SHARE\n`)
  }
  if (opts.budgets === true) {
    for (const [name, budget] of results.budgets) process.stdout.write(`  budget, ${name}: ${verdicts(results, name, base, budget)}\n`)
  }
}

/** Nanoseconds per call of `fn`, after a warm-up; the results feed a sink so the JIT keeps the work. */
export function nsPer (n: number, fn: () => { length: number }): number {
  let sink = 0
  for (let i = 0; i < 20_000; i++) sink += fn().length
  const start = performance.now()
  for (let i = 0; i < n; i++) sink += fn().length
  const ns = (performance.now() - start) * 1e6 / n
  if (sink === -1) process.stdout.write('')
  return ns
}

/**
 * Median µs per call, over batches: CPU time of the process (user + system) per batch divided by
 * its size. On a quiet machine this is the wall time; on a busy one it is not inflated by the
 * time the process waits for a core.
 */
export function cpuMicros (run: () => unknown, iterations: number): number {
  for (let i = 0; i < Math.min(500, iterations); i++) run()
  const batch = Math.max(1, Math.min(50, iterations >> 6))
  const samples: number[] = []
  for (let i = 0; i < iterations; i += batch) {
    const c = process.cpuUsage()
    for (let k = 0; k < batch; k++) run()
    const d = process.cpuUsage(c)
    samples.push((d.user + d.system) / batch)
  }
  return median(samples)
}
