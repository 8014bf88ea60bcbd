import { loadavg } from 'node:os'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { startCollector } from './collector.js'
import { median } from './harness.js'
import type { Transport, TransportOptions } from '../lib/transport/types.js'

/**
 * What one event-loop turn with one request's lines costs the transport, in process CPU: the
 * logging suite's lines of a request at a fixed rate well below saturation (forensic `+` line with
 * `flushSoon`, as `immediate: 'turn'` does, its `-` line, the access record; three channels on one
 * loopback TCP collector in its own process), then the end of the turn, where the write goes out.
 * `--base` A/Bs the transport of another build (the commit before's dist/, copied inside the
 * repository), interleaved round by round in this one process.
 *
 *   node dist/bench/transport-turn.js --base .ab/base --rounds 9
 */
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    turns: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '7' }
  }
})
const TURNS = Number(values.turns)
const ROUNDS = Number(values.rounds)

type TransportClass = new (opts: TransportOptions) => Transport
async function transportOf (dist: string): Promise<TransportClass> {
  const m = await import(pathToFileURL(resolve(dist, 'lib/transport/transport.js')).href) as { SocketTransport: TransportClass }
  return m.SocketTransport
}

const turnEnd = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

/** Lines shaped as the suite's: built by concatenation per request, as the plugins build them. */
function plusLine (i: number): string {
  return '+WaF' + String(1000000 + i) + 'AAAAAAAAAAAAAAAA|GET /?n=' + String(i) + ' HTTP/1.1|host:127.0.0.1%3a3000|user-agent:wrk|accept:*/*'
}
function accessLine (i: number): string {
  return '{"type":"access","id":"WaF' + String(1000000 + i) + 'AAAAAAAAAAAAAAAA","started_at":' + String(1765000000000 + i) +
    ',"client_ip":"127.0.0.1","request":{"method":"GET","uri":"/?n=' + String(i) + '","url":"http://127.0.0.1:3000/?n=' + String(i) +
    '","size":40,"headers":{"host":"127.0.0.1:3000","user-agent":"wrk","accept":"*/*"}},"response":{"status":200,"size":' +
    String(150 + (i & 7)) + ',"headers":{"content-type":"application/json; charset=utf-8","content-length":"17"}},"latencies":{"request":0.1}}'
}

async function round (Cls: TransportClass, url: string): Promise<{ total: number, system: number }> {
  const tr = new Cls({ channels: { forensic: url, access: url, heart: url } })
  const forensic = tr.channel('forensic')
  const access = tr.channel('access')
  // Connected before the clock starts.
  forensic.log('+warm')
  forensic.flush()
  while (forensic.stats().sent === 0) await turnEnd()
  for (let i = 0; i < 2000; i++) {
    forensic.log(plusLine(i))
    forensic.flushSoon?.()
    await turnEnd()
  }
  const t0 = process.cpuUsage()
  for (let i = 0; i < TURNS; i++) {
    const id = String(i)
    forensic.log(plusLine(i))
    forensic.flushSoon?.()
    forensic.log('-' + id)
    access.log(accessLine(i))
    await turnEnd()
  }
  const d = process.cpuUsage(t0)
  const stats = tr.stats()
  await tr.close(2000)
  for (const [name, s] of Object.entries(stats)) {
    if (s.dropped.overflow + s.dropped.oversize + s.dropped.closed > 0) throw new Error(`channel ${name} dropped lines: ${JSON.stringify(s.dropped)}`)
  }
  return { total: (d.user + d.system) / TURNS, system: d.system / TURNS }
}

const collector = await startCollector()
try {
  const variants: Array<[string, TransportClass]> = []
  if (values.base !== undefined) variants.push(['A: base', await transportOf(values.base)])
  variants.push([values.base === undefined ? 'this build' : 'B: this build', await transportOf(resolve(new URL('..', import.meta.url).pathname))])
  const load = (): string => loadavg().map(x => x.toFixed(2)).join(' ')
  process.stdout.write(`load average before: ${load()}; ${TURNS} turns per round, ${ROUNDS} rounds, interleaved\n`)
  const results = variants.map(() => [] as Array<{ total: number, system: number }>)
  for (let r = 0; r < ROUNDS; r++) {
    for (let v = 0; v < variants.length; v++) results[v].push(await round(variants[v][1], collector.url))
  }
  for (let v = 0; v < variants.length; v++) {
    const xs = results[v].map(x => x.total)
    const sys = median(results[v].map(x => x.system))
    process.stdout.write(`${variants[v][0]}: median ${median(xs).toFixed(2)} µs CPU per turn, of which system ${sys.toFixed(2)} (rounds ${xs.map(x => x.toFixed(2)).join(' ')})\n`)
  }
  process.stdout.write(`load average after: ${load()}\n`)
} finally {
  await collector.close()
}
