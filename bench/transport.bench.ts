import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Writable } from 'node:stream'
import { SocketTransport } from '../lib/transport/transport.js'
import { median } from './harness.js'

/**
 * `npm run bench transport`: lines per second from this transport and from pino-socket to one
 * loopback TCP collector, measured side by side in one run, and peak RSS while the collector is
 * down.
 *
 * Every contender runs in a fresh child process; the collector runs in another and only counts
 * bytes. A run is timed from "go" until the collector has received every byte of the run.
 * Producers hand lines over in slices (as request handlers would) and hold back only when their
 * own buffer passes 4 MiB, so neither measures an unbounded pile-up. pino-socket gets its lines
 * with the newline already on (as pino writes them), ours without (the channel frames them).
 *
 * This file is also the child: WAF_BENCH_ROLE=collector|producer|down.
 */

const SELF = fileURLToPath(import.meta.url)
const LINES = Number(process.env.WAF_BENCH_LINES ?? 2_000_000)
const WARMUP = 300_000
const ROUNDS = Number(process.env.WAF_BENCH_ROUNDS ?? 3)
const SLICE = 1000
const HOLD_BACK = 4 * 1024 * 1024
const CONTENDERS = ['waf-socket', 'pino-socket'] as const
type Contender = typeof CONTENDERS[number]

/** 1024 distinct access-log-like lines of about 230 bytes. */
function makeLines (): string[] {
  const out: string[] = []
  for (let i = 0; i < 1024; i++) {
    out.push(JSON.stringify({
      type: 'access',
      id: `WaF${String(i).padStart(24, '0')}`,
      started_at: 1763764800123 + i,
      host: 'shop.example',
      client_ip: `203.0.113.${i % 250}`,
      request: { method: 'GET', uri: `/p?q=${i}`, size: 412 },
      response: { status: 200, size: 1234 },
      latencies: { request: 13.2, waf: 0.21 }
    }))
  }
  return out
}

interface PinoSocketStream extends Writable { _socket: net.Socket }
type TcpFactory = (opts: Record<string, unknown>) => PinoSocketStream

function pinoSocketFactory (): TcpFactory {
  const require = createRequire(import.meta.url)
  return require('pino-socket/lib/TcpConnection.js') as TcpFactory
}

const tick = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

/** A sink for lines with the contender's own way of holding back. */
interface Sender {
  send(lines: string[], from: number, n: number): void
  /** Resolves once the contender's own buffer is below `bytes`. */
  below(bytes: number): Promise<void>
  settled(): Promise<void>
  close(): Promise<void>
}

async function makeSender (who: Contender, port: number): Promise<Sender> {
  if (who === 'waf-socket') {
    const tr = new SocketTransport({ channels: { bench: `tcp://127.0.0.1:${port}` } })
    const ch = tr.channel('bench')
    return {
      send (lines, from, n) {
        for (let i = from; i < from + n; i++) ch.log(lines[i & 1023])
      },
      async below (bytes) {
        while ((ch.stats().queuedBytes ?? 0) > bytes) await tick()
      },
      async settled () {
        ch.flush()
        while (ch.stats().queued > 0) await tick()
      },
      async close () {
        await tr.close(1000)
      }
    }
  }
  const stream = pinoSocketFactory()({ address: '127.0.0.1', port, reconnect: false, sourceStream: false })
  await once(stream, 'open')
  const sock = stream._socket
  return {
    send (lines, from, n) {
      for (let i = from; i < from + n; i++) stream.write(lines[i & 1023])
    },
    async below (bytes) {
      while (sock.writableLength > bytes) await once(sock, 'drain')
    },
    async settled () {
      while (sock.writableLength > 0) await once(sock, 'drain')
    },
    async close () {
      stream.end()
      sock.end()
    }
  }
}

async function produce (s: Sender, lines: string[], n: number): Promise<void> {
  for (let i = 0; i < n; i += SLICE) {
    s.send(lines, i, Math.min(SLICE, n - i))
    await s.below(HOLD_BACK)
    await tick()
  }
}

function bytesOf (lines: string[], n: number): number {
  let total = 0
  for (let i = 0; i < n; i++) total += Buffer.byteLength(lines[i & 1023]) + 1
  return total
}

/* ---------------------------------------------------------------- children */

async function collectorRole (): Promise<void> {
  let count = 0
  let target = Infinity
  const server = net.createServer(sock => {
    sock.on('data', (d: Buffer) => {
      count += d.length
      if (count >= target) {
        target = Infinity
        process.send?.({ reached: count })
      }
    })
    sock.on('error', () => {})
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  process.on('message', (m: { reset?: true, expect?: number, exit?: true }) => {
    if (m.reset === true) count = 0
    if (m.expect !== undefined) {
      target = m.expect
      if (count >= target) {
        target = Infinity
        process.send?.({ reached: count })
      }
    }
    if (m.exit === true) process.exit(0)
  })
  process.send?.({ port: (server.address() as net.AddressInfo).port })
}

/** Messages from the parent, kept until asked for (one may arrive before anyone waits). */
function mailbox (): () => Promise<unknown> {
  const box: unknown[] = []
  let waiter: ((m: unknown) => void) | null = null
  process.on('message', m => {
    if (waiter !== null) {
      const w = waiter
      waiter = null
      w(m)
    } else {
      box.push(m)
    }
  })
  return () => box.length > 0 ? Promise.resolve(box.shift()) : new Promise(resolve => { waiter = resolve })
}

async function producerRole (who: Contender, port: number): Promise<void> {
  const next = mailbox()
  const lines = makeLines()
  const framed = who === 'pino-socket' ? lines.map(l => l + '\n') : lines
  const s = await makeSender(who, port)
  await produce(s, framed, WARMUP)
  await s.settled()
  process.send?.({ warm: bytesOf(lines, WARMUP), run: bytesOf(lines, LINES) })
  if (await next() !== 'go') process.exit(1)
  await produce(s, framed, LINES)
  await s.settled()
  if (await next() === 'exit') {
    await s.close()
    process.exit(0)
  }
}

/** Offers lines to a collector that is not there, for `ms`, and reports the peak RSS. */
async function downRole (who: Contender, port: number): Promise<void> {
  const lines = makeLines()
  const framed = who === 'pino-socket' ? lines.map(l => l + '\n') : lines
  let offered = 0
  let dropped = 0
  const startRss = process.memoryUsage().rss
  const end = Date.now() + 3000
  if (who === 'waf-socket') {
    const tr = new SocketTransport({ channels: { bench: `tcp://127.0.0.1:${port}` } })
    const ch = tr.channel('bench')
    while (offered < 5_000_000 && Date.now() < end) {
      for (let k = 0; k < SLICE; k++) ch.log(framed[offered++ & 1023])
      await tick()
    }
    dropped = ch.stats().dropped.overflow
  } else {
    const stream = pinoSocketFactory()({ address: '127.0.0.1', port, reconnect: true, sourceStream: false })
    stream.on('socketError', () => {})
    stream.on('error', () => {})
    while (offered < 5_000_000 && Date.now() < end) {
      for (let k = 0; k < SLICE; k++) stream.write(framed[offered++ & 1023])
      await tick()
    }
  }
  process.send?.({ offered, dropped, startRssKb: startRss / 1024, maxRssKb: process.resourceUsage().maxRSS })
  process.exit(0)
}

/* ---------------------------------------------------------------- parent */

function child (role: string, args: string[] = []): ChildProcess {
  return fork(SELF, args, { env: { ...process.env, WAF_BENCH_ROLE: role }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
}

async function message<T> (c: ChildProcess): Promise<T> {
  const [m] = await once(c, 'message') as [T]
  return m
}

async function oneRun (collector: ChildProcess, port: number, who: Contender): Promise<number> {
  collector.send({ reset: true })
  const p = child('producer', [who, String(port)])
  const { warm, run } = await message<{ warm: number, run: number }>(p)
  collector.send({ expect: warm })
  await message(collector)
  collector.send({ expect: warm + run })
  const reached = message(collector)
  const t0 = process.hrtime.bigint()
  p.send('go')
  await reached
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const exited = once(p, 'exit')
  p.send('exit')
  await exited
  return LINES / seconds
}

// The copy of test/helpers/ports.ts's freePort: bench/ is built into dist/ without test/.
async function freePort (): Promise<number> {
  const s = net.createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise(resolve => s.close(resolve))
  return port
}

export default async function (): Promise<void> {
  const collector = child('collector')
  const { port } = await message<{ port: number }>(collector)
  const samples = new Map<Contender, number[]>(CONTENDERS.map(c => [c, []]))
  const lineBytes = bytesOf(makeLines(), 1024) / 1024
  process.stdout.write(`${LINES} lines of ~${lineBytes.toFixed(0)} bytes per run, ${ROUNDS} interleaved rounds, collector in its own process\n`)
  for (let r = 0; r < ROUNDS; r++) {
    for (const who of CONTENDERS) {
      const lps = await oneRun(collector, port, who)
      samples.get(who)?.push(lps)
      process.stdout.write(`  round ${r + 1} ${who.padEnd(12)} ${(lps / 1e6).toFixed(2)} M lines/s\n`)
    }
  }
  collector.send({ exit: true })
  const ours = median(samples.get('waf-socket') ?? [])
  const theirs = median(samples.get('pino-socket') ?? [])
  process.stdout.write('\nloopback TCP, median lines/s\n')
  process.stdout.write(`  waf-socket   ${(ours / 1e6).toFixed(2)} M lines/s (${(ours * lineBytes / 1048576).toFixed(0)} MiB/s)\n`)
  process.stdout.write(`  pino-socket  ${(theirs / 1e6).toFixed(2)} M lines/s (${(theirs * lineBytes / 1048576).toFixed(0)} MiB/s)\n`)
  process.stdout.write(`  ratio        ${(ours / theirs).toFixed(2)} x pino-socket\n`)

  const dead = await freePort()
  process.stdout.write('\ncollector down, lines offered for 3 s, peak RSS\n')
  for (const who of CONTENDERS) {
    const p = child('down', [who, String(dead)])
    const r = await message<{ offered: number, dropped: number, startRssKb: number, maxRssKb: number }>(p)
    await once(p, 'exit').catch(() => {})
    const note = who === 'waf-socket'
      ? `${r.dropped} dropped as overflow (dropLimit 8 MiB), the rest queued`
      : 'reconnect: true, no recovery queue: writes fail while it is down and are discarded'
    process.stdout.write(`  ${who.padEnd(12)} peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MiB (${(r.startRssKb / 1024).toFixed(0)} MiB at start) after ${(r.offered / 1e6).toFixed(2)} M lines, ${note}\n`)
  }
}

const role = process.env.WAF_BENCH_ROLE
if (role === 'collector') await collectorRole()
else if (role === 'producer') await producerRole(process.argv[2] as Contender, Number(process.argv[3]))
else if (role === 'down') await downRole(process.argv[2] as Contender, Number(process.argv[3]))
