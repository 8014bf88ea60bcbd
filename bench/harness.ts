import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'

/**
 * Throughput measured side by side: every scenario's server runs in its own child process, the
 * load generator runs here, and rounds are interleaved (A B C A B C …) so that drift on the
 * machine hits every scenario alike. Ratios from one run are what the README reports.
 */

/** A server the harness does not start itself (nginx): started and stopped by the scenario. */
export interface ExternalServer {
  port: number
  stop: () => Promise<void>
  /** CPU time (user + system) the server process has used so far, in µs, where it can tell. */
  cpuMicros?: () => Promise<number>
}

/**
 * Requests per second per scenario, and the server's CPU µs per request where known. On a
 * two-core machine the load generator can be the bottleneck of a fast server, so the CPU cost per
 * request is the steadier figure of the two.
 */
export type Results = Map<string, number> & { cpu: Map<string, number> }

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
}

export interface LoadOptions {
  durationSec?: number
  connections?: number
  rounds?: number
  pipelining?: number
}

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url))

async function start (s: Scenario): Promise<ExternalServer> {
  if (s.external !== undefined) return await s.external()
  if (s.module === undefined) throw new Error(`${s.name}: a scenario needs a module or an external server`)
  const child: ChildProcess = fork(CHILD, [s.module, JSON.stringify(s.args ?? {})], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number, error?: string }) => m.port !== undefined ? resolve(m.port) : reject(new Error(m.error)))
    child.once('exit', code => reject(new Error(`${s.name}: server exited with ${String(code)}`)))
  })
  return {
    port,
    stop: async () => {
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.send('close')
      await exited
    },
    cpuMicros: async () => await new Promise<number>(resolve => {
      child.once('message', (m: { cpu: number }) => resolve(m.cpu))
      child.send('cpu')
    })
  }
}

async function load (port: number, s: Scenario, o: Required<LoadOptions>): Promise<{ rps: number, total: number }> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${s.path ?? '/'}`,
    connections: o.connections,
    duration: o.durationSec,
    pipelining: o.pipelining,
    method: (s.method ?? 'GET') as 'GET',
    headers: s.headers,
    body: s.body
  })
  if (result.non2xx > 0 && s.name.indexOf('deny') === -1) process.stderr.write(`${s.name}: ${result.non2xx} non-2xx responses\n`)
  return { rps: result.requests.average, total: result.requests.total }
}

/** Requests per second (and server CPU per request) of each scenario: medians over `rounds` interleaved rounds. */
export async function throughput (scenarios: Scenario[], opts: LoadOptions = {}): Promise<Results> {
  const o: Required<LoadOptions> = { durationSec: 5, connections: 50, rounds: 3, pipelining: 1, ...opts }
  const samples = new Map<string, number[]>(scenarios.map(s => [s.name, []]))
  const cpu = new Map<string, number[]>(scenarios.map(s => [s.name, []]))
  for (let round = 0; round < o.rounds; round++) {
    for (const s of scenarios) {
      const r = await start(s)
      try {
        // A short warm-up so the JIT has compiled the hot path before the measured run.
        await load(r.port, s, { ...o, durationSec: 1 })
        const before = await r.cpuMicros?.()
        const measured = await load(r.port, s, o)
        const after = await r.cpuMicros?.()
        samples.get(s.name)?.push(measured.rps)
        if (before !== undefined && after !== undefined && measured.total > 0) cpu.get(s.name)?.push((after - before) / measured.total)
      } finally {
        await r.stop()
      }
    }
  }
  const results = new Map([...samples].map(([k, v]) => [k, median(v)])) as Results
  results.cpu = new Map([...cpu].filter(([, v]) => v.length > 0).map(([k, v]) => [k, median(v)]))
  return results
}

export function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Prints a table of scenarios with their ratio to `base`, and the server CPU per request where known. */
export function printRatios (title: string, results: Results, base: string): void {
  const b = results.get(base)
  process.stdout.write(`\n${title}\n`)
  for (const [name, rps] of results) {
    const ratio = b === undefined || b === 0 ? '' : (rps / b).toFixed(2)
    const cpu = results.cpu.get(name)
    const cpuText = cpu === undefined ? '' : `  ${cpu.toFixed(1).padStart(6)} µs server CPU/req`
    process.stdout.write(`  ${name.padEnd(48)} ${rps.toFixed(0).padStart(9)} req/s  ${ratio.padStart(5)} x ${base}${cpuText}\n`)
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
