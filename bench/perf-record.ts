import { fork, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chooseLoad } from './load.js'
import { benchOptions, warmUp } from './harness.js'
import { startCollector } from './collector.js'
import { GATEWAY_PATH, gatewayArgs, startUpstream } from './gateway.bench.js'
import type { PluginKey } from '../lib/lifecycle/context.js'

/**
 * Where a gateway variant's CPU goes by Linux `perf` (apt-get install linux-perf): unlike V8's
 * sampler (profile.ts), which samples wall-clock time and so charges a thread preempted in a
 * system call to that call, `perf record -e cpu-clock` samples only time on a CPU, kernel
 * included. Prints the CPU µs per request, the kernel's share, the top symbols (JavaScript named
 * through `--perf-basic-prof-only-functions`) and the system calls per request (`perf stat`).
 *
 *   node dist/bench/perf-record.js --none --rate 1500
 *   node dist/bench/perf-record.js --floor --rate 1500                 # node:http + undici dispatch alone
 *   node dist/bench/perf-record.js --only forensic --only access --only heartbeat --rate 1500
 *   node dist/bench/perf-record.js --hello logging --rate 3000   # hello world: bare, pino, write, heartbeat, forensic, access, logging or full
 *   node dist/bench/perf-record.js --hello access --rate 3000 --warm 6   # 6 s at the rate before perf attaches
 *   node dist/bench/perf-record.js --hello access --rate 3000 --flush-limit 65536   # every channel's flushLimit (suite rows)
 *
 * `--warm` runs the paced load that long before recording: the warm-up at saturation (harness.ts)
 * does not tier up all the code a paced run reaches, and TurboFan was still compiling for 3-6 s
 * of a paced run after it (perf samples by second: 1-8 µs a request in the compiler, 0 after).
 */
const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    none: { type: 'boolean', default: false },
    floor: { type: 'boolean', default: false },
    hello: { type: 'string' },
    rate: { type: 'string', default: '1500' },
    seconds: { type: 'string', default: '4' },
    top: { type: 'string', default: '30' },
    warm: { type: 'string', default: '0' },
    'flush-limit': { type: 'string' }
  }
})
if (spawnSync('perf', ['--version'], { stdio: 'ignore' }).error !== undefined) {
  process.stderr.write('perf is not installed: apt-get install linux-perf\n')
  process.exit(1)
}
const SYSCALLS = ['read', 'write', 'writev', 'epoll_pwait', 'futex']

/**
 * What ran a user-space symbol. The JIT map names JavaScript by its tier (`JS:*` TurboFan,
 * `JS:+` Maglev, `JS:^` Sparkplug, `JS:~` interpreted), the interpreter's bytecodes are
 * `Builtins_*Handler`; the inline caches' builtins are where code that is not specialized (or is
 * megamorphic) loads and stores properties; the compiler and the GC are V8's own C++.
 */
function tierOf (sym: string): string {
  if (sym.startsWith('JS:*')) return 'TurboFan'
  if (sym.startsWith('JS:+')) return 'Maglev'
  if (sym.startsWith('JS:^')) return 'Sparkplug'
  if (sym.startsWith('JS:~') || /^Builtins_\w*Handler/.test(sym)) return 'interpreter'
  if (/^Builtins_(Keyed)?(Load|Store|Has|Define)\w*IC/.test(sym)) return 'IC builtins'
  if (sym.startsWith('Builtins_')) return 'other builtins'
  if (/v8::internal::(compiler|maglev|baseline)::/.test(sym)) return 'compiler'
  if (/v8::internal::(Heap|Scavenge|MarkCompact|Sweeper|Marking|Evacuat|ConcurrentMarking|MinorMarkCompact)/.test(sym)) return 'GC'
  if (sym.startsWith('v8::')) return 'other V8'
  return 'other native'
}

/**
 * Hello world's servers (suite.bench.ts): bare Fastify, pino request logging, one plain 740 B
 * collector write a request, each logger of the suite alone (its `only` rows), the logging suite,
 * the full suite.
 */
const flushLimit = values['flush-limit'] === undefined ? {} : { flushLimit: Number(values['flush-limit']) }
const HELLO: Record<string, (collector: string) => [string, Record<string, unknown>]> = {
  bare: () => ['servers/hello.js', {}],
  pino: () => ['servers/hello.js', { logger: true }],
  write: collector => ['servers/hello.js', { writeTo: collector, bytes: 740 }],
  heartbeat: collector => ['servers/suite.js', { collector, only: ['heartbeat'], ...flushLimit }],
  forensic: collector => ['servers/suite.js', { collector, only: ['forensic'], ...flushLimit }],
  access: collector => ['servers/suite.js', { collector, only: ['access'], ...flushLimit }],
  logging: collector => ['servers/suite.js', { collector, ...flushLimit }],
  full: collector => ['servers/suite.js', { collector, rules: true, ...flushLimit }]
}
const hello = values.hello
if (hello !== undefined && HELLO[hello] === undefined) {
  process.stderr.write(`--hello takes one of ${Object.keys(HELLO).join(', ')}\n`)
  process.exit(1)
}

/** BENCH_NODE_ARGS (`--trace-gc`, …) goes to the server process too, as bench/harness.ts gives it. */
function nodeArgs (): string[] {
  const extra = process.env.BENCH_NODE_ARGS
  return extra === undefined || extra === '' ? [] : extra.split(/\s+/)
}

// Piped to `head`, the output's reader goes away mid-report: the rest is dropped, and the
// servers are still closed below (an EPIPE left unhandled would end the process first).
process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'EPIPE') throw err })
const upstream = await startUpstream()
const collector = await startCollector()
const dir = mkdtempSync(join(tmpdir(), 'waf-bench-perf-'))
try {
  const only = values.none ? undefined : (values.only as PluginKey[] | undefined) ?? ['forensic', 'rules', 'access', 'attack', 'heartbeat']
  // --floor: node:http + undici's dispatch and nothing else (servers/floor.ts), the gateway's floor.
  const [server, args] = hello !== undefined
    ? HELLO[hello](collector.url)
    : values.floor ? ['servers/floor.js', { upstream: upstream.url }] : ['servers/gateway.js', gatewayArgs(upstream.url, collector.url, only)]
  const path = hello === undefined ? GATEWAY_PATH : '/'
  const child = fork(fileURLToPath(new URL('./child.js', import.meta.url)), [server, JSON.stringify(args)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--perf-basic-prof-only-functions', ...nodeArgs()] })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number, error?: string }) => m.port !== undefined ? resolve(m.port) : reject(new Error(m.error)))
  })
  const load = chooseLoad()
  await warmUp(port, { name: server, path }, load, { ...benchOptions(), connections: 50 })
  const warm = Number(values.warm)
  if (warm > 0) await load.paced(port, { path, method: 'GET', headers: {} }, Number(values.rate), warm)
  const data = join(dir, 'perf.data')
  const pid = String(child.pid)
  const record = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '2999', '-o', data, '-p', pid], { stdio: 'ignore' })
  const stat = spawn('perf', ['stat', '-x', ',', '-e', SYSCALLS.map(s => `syscalls:sys_enter_${s}`).join(','), '-p', pid], { stdio: ['ignore', 'ignore', 'pipe'] })
  let statOut = ''
  stat.stderr.on('data', (d: Buffer) => { statOut += d.toString() })
  // perf attaches within a few ms; the paced run starts after it.
  await new Promise(resolve => setTimeout(resolve, 300))
  const run = await load.paced(port, { path, method: 'GET', headers: {} }, Number(values.rate), Number(values.seconds))
  const stopped = Promise.all([record, stat].map(async p => await new Promise(resolve => { p.once('exit', resolve); p.kill('SIGINT') })))
  await stopped
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.send('close')
  await exited
  const report = spawnSync('perf', ['report', '-i', data, '--stdio', '--no-children', '--sort', 'sym', '-g', 'none'], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout
  const total = Number(/Event count \(approx\.\): (\d+)/.exec(report)?.[1] ?? 0) / 1000 / run.total
  let kernel = 0
  const rows: Array<[number, string]> = []
  const tiers = new Map<string, number>()
  for (const line of report.split('\n')) {
    const m = /^\s+([\d.]+)%\s+\[(.)\]\s+(.*?)\s*$/.exec(line)
    if (m === null) continue
    const us = Number(m[1]) / 100 * total
    if (m[2] === 'k') kernel += us
    const tier = m[2] === 'k' ? 'kernel' : tierOf(m[3])
    tiers.set(tier, (tiers.get(tier) ?? 0) + us)
    rows.push([us, `${m[2] === 'k' ? '[kernel] ' : ''}${m[3].replace(/file:\/\/\S*?\/dist\//, 'dist/')}`])
  }
  const what = hello !== undefined ? `hello world ${hello}` : values.floor ? 'floor (node:http + undici dispatch alone)' : `gateway ${only === undefined ? 'with no waf plugins' : `with ${only.join('+')}`}`
  process.stdout.write(`${what}: ${run.rps.toFixed(0)} req/s achieved, ${run.total} requests, ` +
    `${total.toFixed(1)} µs CPU per request (perf cpu-clock), of which kernel ${kernel.toFixed(1)}\n  system calls per request:`)
  for (const line of statOut.split('\n')) {
    const [count, , event] = line.split(',')
    if (event?.startsWith('syscalls:sys_enter_') === true) process.stdout.write(` ${event.slice(19)} ${(Number(count) / run.total).toFixed(2)}`)
  }
  // By thread (perf names each by its id under `--sort pid`): the main thread, and V8's and libuv's helpers (concurrent marking and sweeping,
  // the optimizing compiler, the thread pool), whose CPU the process's figure includes.
  const threads = spawnSync('perf', ['report', '-i', data, '--stdio', '--no-children', '--sort', 'pid', '-g', 'none'], { encoding: 'utf8', maxBuffer: 16 << 20 }).stdout
  let main = 0
  let helpers = 0
  for (const line of threads.split('\n')) {
    const m = /^\s+([\d.]+)%\s+(\d+):/.exec(line)
    if (m === null) continue
    if (m[2] === pid) main += Number(m[1]) / 100 * total
    else helpers += Number(m[1]) / 100 * total
  }
  process.stdout.write(`\n  by thread (µs per request): main ${main.toFixed(1)}, helper threads ${helpers.toFixed(1)}`)
  process.stdout.write('\n  by tier (µs per request):')
  for (const [tier, us] of [...tiers].sort((a, b) => b[1] - a[1])) process.stdout.write(` ${tier} ${us.toFixed(1)};`)
  process.stdout.write('\n\nby symbol (self, µs per request)\n')
  for (const [us, name] of rows.sort((a, b) => b[0] - a[0]).slice(0, Number(values.top))) process.stdout.write(`  ${us.toFixed(2).padStart(7)}  ${name}\n`)
} finally {
  rmSync(dir, { recursive: true, force: true })
  await collector.close()
  await upstream.close()
}
