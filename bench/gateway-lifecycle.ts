import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { loadavg } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { startCollector } from './collector.js'
import { GATEWAY_PATH, gatewayArgs, startUpstream } from './gateway.bench.js'
import { median } from './harness.js'
import { fieldOf, interleavedRounds, lengthFramedAnswer, oneAtATime } from './one-at-a-time.js'
import type { PluginKey } from '../lib/lifecycle/context.js'

/**
 * What the lifecycle (or any waf variant) adds to the gateway, in server CPU per request, finer
 * than a fixed-rate run of the harness resolves: the gateway (bench/servers/gateway.ts) with no
 * waf plugins and with `--only` (the heartbeat by default), each in its own process (so that no
 * variant's type feedback reaches another's), the demo upstream in another, and one request at a
 * time over one loopback connection from this process, so that each request has an event-loop
 * turn of its own as at a fixed rate. The server's CPU is its own `process.cpuUsage()` read over
 * IPC around each run. Rounds are interleaved and short; the figure to read is the median of the
 * rounds' differences (variants measured back to back). `--base` adds the same two variants of
 * another build (the commit before's dist/, copied inside the repository).
 *
 *   node dist/bench/gateway-lifecycle.js --rounds 31
 *   node dist/bench/gateway-lifecycle.js --base .ab/base --rounds 31
 *   node dist/bench/gateway-lifecycle.js --base .ab/base --only forensic,access,heartbeat
 *
 * `--logger` runs every variant with the logger of `npm start` (`logger: { level: 'warn' }`).
 * `--floor` adds the benchmark's floor (bench/servers/floor.ts: node:http and undici's dispatch
 * alone) and prints what the no-waf gateway costs over it: Fastify's and the gateway's part.
 */
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    requests: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '31' },
    only: { type: 'string', default: 'heartbeat' },
    logger: { type: 'boolean', default: false },
    floor: { type: 'boolean', default: false }
  }
})
const REQUESTS = Number(values.requests)
const ROUNDS = Number(values.rounds)
const REQUEST = Buffer.from(`GET ${GATEWAY_PATH} HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n\r\n`)
const only = values.only.split(',') as PluginKey[]

interface Server { child: ChildProcess, port: number }

async function startServer (dist: string, args: Record<string, unknown>, module = 'gateway'): Promise<Server> {
  const childJs = resolve(dist, 'bench/child.js')
  const server = pathToFileURL(resolve(dist, `bench/servers/${module}.js`)).href
  const child = fork(childJs, [server, JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number, error?: string }) => m.port !== undefined ? resolve(m.port) : reject(new Error(m.error)))
  })
  return { child, port }
}

interface Reading { cpu: number, allocated: number }

async function readingOf (s: Server): Promise<Reading> {
  return await new Promise<Reading>(resolve => {
    const on = (m: { cpu?: number, allocated?: number }): void => {
      if (m.cpu === undefined) return
      s.child.off('message', on)
      resolve({ cpu: m.cpu, allocated: m.allocated ?? 0 })
    }
    s.child.on('message', on)
    s.child.send('cpu')
  })
}

/** `n` requests one after another on one connection: the server's CPU µs and heap bytes allocated per request. */
async function run (s: Server, n: number): Promise<Reading> {
  const sock: Socket = connect(s.port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve).once('error', reject) })
  const before = await readingOf(s)
  await oneAtATime(sock, REQUEST, n, lengthFramedAnswer, 'gateway-lifecycle')
  const after = await readingOf(s)
  sock.destroy()
  return { cpu: (after.cpu - before.cpu) / n, allocated: after.allocated / n }
}

const upstream = await startUpstream()
const collector = await startCollector()
const servers: Record<string, Server> = {}
try {
  const tags: Array<[string, string]> = [['', resolve(fileURLToPath(new URL('..', import.meta.url)))]]
  if (values.base !== undefined) tags.unshift(['base ', resolve(values.base)])
  const withName = only.join('+')
  for (const [tag, dist] of tags) {
    const logger = values.logger ? { logger: true } : {}
    servers[`${tag}no waf`] = await startServer(dist, { ...gatewayArgs(upstream.url, collector.url), ...logger })
    servers[`${tag}${withName}`] = await startServer(dist, { ...gatewayArgs(upstream.url, collector.url, only), ...logger })
  }
  if (values.floor) servers.floor = await startServer(tags[tags.length - 1][1], { upstream: upstream.url }, 'floor')
  const names = Object.keys(servers)
  for (const name of names) await run(servers[name], 5000)
  const load = loadavg()
  const readings = await interleavedRounds(names, ROUNDS, async name => await run(servers[name], REQUESTS))
  const cpu = fieldOf(readings, 'cpu')
  const heap = fieldOf(readings, 'allocated')
  process.stdout.write(`gateway lifecycle: GET ${GATEWAY_PATH}${values.logger ? ', logger at warn' : ''}, one at a time, ${ROUNDS} interleaved rounds of ${REQUESTS}, ` +
    `load average ${load.map(l => l.toFixed(2)).join(' ')} -> ${loadavg().map(l => l.toFixed(2)).join(' ')}\n`)
  const added = (tag: string, r: number): number => cpu[`${tag}${withName}`][r] - cpu[`${tag}no waf`][r]
  const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`
  for (const [tag] of tags) {
    const diffs = cpu[`${tag}no waf`].map((_, r) => added(tag, r))
    process.stdout.write(`  ${(tag === '' ? 'this build' : tag.trim()).padEnd(10)} no waf ${median(cpu[`${tag}no waf`]).toFixed(2).padStart(7)}, ` +
      `${withName} ${median(cpu[`${tag}${withName}`]).toFixed(2).padStart(7)} µs CPU per request; added (median of the rounds' differences) ${signed(median(diffs))}; ` +
      `heap allocated per request ${median(heap[`${tag}no waf`]).toFixed(0)} and ${median(heap[`${tag}${withName}`]).toFixed(0)} bytes\n`)
  }
  if (values.floor) {
    const over = (field: Record<string, number[]>): number => median(field['no waf'].map((x, r) => x - field.floor[r]))
    process.stdout.write(`  floor      ${median(cpu.floor).toFixed(2).padStart(7)} µs CPU per request, heap allocated per request ${median(heap.floor).toFixed(0)} bytes; ` +
      `no waf - floor (medians of the rounds' differences): ${signed(over(cpu))} µs, ${signed(over(heap))} bytes per request\n`)
  }
  if (tags.length === 2) {
    const addedDiff = cpu['no waf'].map((_, r) => added('', r) - added('base ', r))
    const noneDiff = cpu['no waf'].map((x, r) => x - cpu['base no waf'][r])
    const withDiff = cpu[withName].map((x, r) => x - cpu[`base ${withName}`][r])
    process.stdout.write(`  this build - base (medians of the rounds' differences): no waf ${signed(median(noneDiff))}, ${withName} ${signed(median(withDiff))}, added ${signed(median(addedDiff))} µs per request\n`)
  }
} finally {
  for (const s of Object.values(servers)) {
    const exited = new Promise(resolve => s.child.once('exit', resolve))
    s.child.send('close')
    await exited
  }
  await collector.close()
  await upstream.close()
}
