import { once } from 'node:events'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import { resolve } from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { FastifyInstance } from 'fastify'
import { startCollector } from './collector.js'
import { median } from './harness.js'
import { fieldOf, interleavedRounds, lengthFramedAnswer, oneAtATime } from './one-at-a-time.js'

/**
 * What the logging suite costs inside hello world, in process CPU per request: bare Fastify, the
 * umbrella with the heartbeat only, and the logging suite of `suite.bench.ts` (forensic
 * `immediate: 'turn'`, access JSON, heartbeat; every channel to one loopback TCP collector in its
 * own process). One request at a time over one loopback connection from this process, so each
 * request is alone in its event-loop turn, as at a fixed rate below saturation (the client's side
 * is the same for every server, so it cancels out of the differences). `--base` adds the logging
 * suite of another build (the commit before's dist/, copied inside the repository), interleaved
 * round by round in this one process: an A/B that the machine's load moves alike.
 *
 *   node dist/bench/logs-server.js --rounds 7
 *   node dist/bench/logs-server.js --base .ab/base --rounds 9
 */
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    requests: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '7' }
  }
})
const REQUESTS = Number(values.requests)
const ROUNDS = Number(values.rounds)
const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n\r\n')

let gcMs = 0
new PerformanceObserver(list => { for (const e of list.getEntries()) gcMs += e.duration }).observe({ entryTypes: ['gc'] })

type Build = (args: Record<string, unknown>) => Promise<FastifyInstance>
async function serverOf (dist: string, name: 'hello' | 'suite'): Promise<Build> {
  return (await import(pathToFileURL(resolve(dist, `bench/servers/${name}.js`)).href) as { build: Build }).build
}

/** A server listening on a free loopback port, warmed up by 5,000 requests. */
async function start (build: Build, args: Record<string, unknown>): Promise<FastifyInstance> {
  const app = await build(args)
  await app.listen({ port: 0, host: '127.0.0.1' })
  await run(app, 5000)
  return app
}

/** `n` requests one after another on one connection (answers framed by their length): CPU µs and GC pause µs per request. */
async function run (app: FastifyInstance, n: number): Promise<{ cpu: number, gc: number }> {
  const sock = connect((app.server.address() as AddressInfo).port, '127.0.0.1')
  await once(sock, 'connect')
  const before = { gc: gcMs, cpu: process.cpuUsage() }
  await oneAtATime(sock, REQUEST, n, lengthFramedAnswer, 'logs-server')
  const used = process.cpuUsage(before.cpu)
  sock.destroy()
  return { cpu: (used.user + used.system) / n, gc: 1000 * (gcMs - before.gc) / n }
}

const collector = await startCollector()
try {
  const here = resolve(new URL('..', import.meta.url).pathname)
  const suite = await serverOf(here, 'suite')
  const c = collector.url
  const servers: Record<string, FastifyInstance> = {
    bare: await start(await serverOf(here, 'hello'), {}),
    'logging suite': await start(suite, { collector: c })
  }
  if (values.base !== undefined) servers['logging suite (base)'] = await start(await serverOf(values.base, 'suite'), { collector: c })
  const names = Object.keys(servers)
  const load = loadavg()
  const readings = await interleavedRounds(names, ROUNDS, async name => await run(servers[name], REQUESTS))
  const cpu = fieldOf(readings, 'cpu')
  const gc = fieldOf(readings, 'gc')
  const base = median(cpu.bare)
  process.stdout.write(`logging suite in hello world, one request at a time: ${ROUNDS} interleaved rounds of ${REQUESTS}, ` +
    `load average ${load.map(l => l.toFixed(2)).join(' ')} -> ${loadavg().map(l => l.toFixed(2)).join(' ')}\n`)
  for (const name of names) {
    const m = median(cpu[name])
    const added = name === 'bare' ? '' : ` (${m - base >= 0 ? '+' : ''}${(m - base).toFixed(2)})`
    const spread = `${Math.min(...cpu[name]).toFixed(1)}–${Math.max(...cpu[name]).toFixed(1)}`
    process.stdout.write(`  ${name.padEnd(22)} ${m.toFixed(2).padStart(7)} µs CPU per request${added}, rounds ${spread}, GC pauses ${median(gc[name]).toFixed(2)}\n`)
  }
  for (const app of Object.values(servers)) await app.close()
} finally {
  await collector.close()
}
