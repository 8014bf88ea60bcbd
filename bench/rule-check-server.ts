import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { loadavg } from 'node:os'
import { resolve } from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { startCollector } from './collector.js'
import { median } from './harness.js'
import { fieldOf, interleavedRounds, oneAtATime } from './one-at-a-time.js'

/**
 * What the rule check (the default rules) costs inside a server, in process CPU per request:
 * hello world through the umbrella with the heartbeat only, against the heartbeat and the rule
 * check, and the rule check registered but switched off for every path (its hooks alone). One
 * request at a time over one loopback connection from this process (each request its own
 * event-loop turn, as at a fixed rate), the benchmark's request as wrk sends it (`Host` only; `--ua`
 * adds a browser's User-Agent). Also prints the time inside the check (`request.waf.wafMs`) and
 * the garbage collector's pauses per request, which with the total say how much of the cost lies
 * outside the check's own code. `--base` A/Bs the rule check of another build (the commit
 * before's dist/, copied inside the repository), interleaved round by round in this one process.
 *
 *   node dist/bench/rule-check-server.js --rounds 7
 *   node dist/bench/rule-check-server.js --base .ab/base --rounds 9
 */
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    requests: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '7' },
    ua: { type: 'boolean', default: false }
  }
})
const REQUESTS = Number(values.requests)
const ROUNDS = Number(values.rounds)
const BODY = '{"hello":"world"}'
const UA = values.ua ? 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n' : ''
const REQUEST = Buffer.from(`GET /products?id=42&sort=price HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n${UA}\r\n`)

interface Suite {
  waf: FastifyPluginAsync<Record<string, unknown>>
  wafServerOptions: () => Record<string, unknown>
}
async function suiteOf (dist: string): Promise<Suite> {
  return await import(pathToFileURL(resolve(dist, 'plugins/index.js')).href) as Suite
}

let gcMs = 0
new PerformanceObserver(list => { for (const e of list.getEntries()) gcMs += e.duration }).observe({ entryTypes: ['gc'] })

interface Server { app: FastifyInstance, wafMs: number, checked: number }

async function start (suite: Suite, collector: string, rules: 'on' | 'off' | 'none'): Promise<Server> {
  const app = Fastify(suite.wafServerOptions())
  const server: Server = { app, wafMs: 0, checked: 0 }
  await app.register(suite.waf, {
    transport: { channels: { forensic: collector, access: collector, attack: collector, heart: collector } },
    forensic: false,
    access: false,
    attack: false,
    rules: rules === 'none' ? false : {},
    ...(rules === 'off' ? { routes: [{ prefix: '/', rules: false }] } : {})
  })
  if (rules === 'on') {
    app.addHook('onResponse', (request, _reply, done) => {
      server.wafMs += (request as unknown as { waf: { wafMs: number } }).waf.wafMs
      server.checked++
      done()
    })
  }
  app.get('/products', async () => JSON.parse(BODY) as unknown)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return server
}

/** `n` requests one after another on one connection: CPU µs and GC pause µs per request. */
async function run (server: Server, n: number): Promise<{ cpu: number, gc: number }> {
  const port = (server.app.server.address() as { port: number }).port
  const sock: Socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve).once('error', reject) })
  const gc0 = gcMs
  const t = process.cpuUsage()
  await oneAtATime(sock, REQUEST, n, seen => {
    const at = seen.indexOf(BODY)
    return at === -1 ? -1 : at + BODY.length
  }, 'rule-check-server')
  const d = process.cpuUsage(t)
  sock.destroy()
  return { cpu: (d.user + d.system) / n, gc: 1000 * (gcMs - gc0) / n }
}

const collector = await startCollector()
try {
  const here = await suiteOf(resolve(new URL('..', import.meta.url).pathname))
  const servers: Record<string, Server> = {
    'heartbeat only': await start(here, collector.url, 'none'),
    'heartbeat + rules switched off': await start(here, collector.url, 'off'),
    'heartbeat + rule check': await start(here, collector.url, 'on')
  }
  if (values.base !== undefined) servers['heartbeat + rule check (base)'] = await start(await suiteOf(values.base), collector.url, 'on')
  const names = Object.keys(servers)
  for (const name of names) await run(servers[name], 5000)
  for (const name of names) {
    servers[name].wafMs = 0
    servers[name].checked = 0
  }
  const load = loadavg()
  const readings = await interleavedRounds(names, ROUNDS, async name => await run(servers[name], REQUESTS))
  const cpu = fieldOf(readings, 'cpu')
  const gc = fieldOf(readings, 'gc')
  const base = median(cpu['heartbeat only'])
  process.stdout.write(`rule check in a server: GET /products?id=42&sort=price${values.ua ? ' with a User-Agent' : ' (Host only, as wrk sends it)'}, ` +
    `${ROUNDS} interleaved rounds of ${REQUESTS}, load average ${load.map(l => l.toFixed(2)).join(' ')} -> ${loadavg().map(l => l.toFixed(2)).join(' ')}\n`)
  for (const name of names) {
    const s = servers[name]
    const inside = s.checked > 0 ? `, inside the check ${(1000 * s.wafMs / s.checked).toFixed(2)}` : ''
    const added = name === 'heartbeat only' ? '' : ` (${(median(cpu[name]) - base >= 0 ? '+' : '')}${(median(cpu[name]) - base).toFixed(2)})`
    process.stdout.write(`  ${name.padEnd(32)} ${median(cpu[name]).toFixed(2).padStart(7)} µs CPU per request${added}, GC pauses ${median(gc[name]).toFixed(2)}${inside}\n`)
  }
  for (const s of Object.values(servers)) await s.app.close()
} finally {
  await collector.close()
}
