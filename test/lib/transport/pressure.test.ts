import t from 'tap'
import net from 'node:net'
import { SocketTransport } from '../../../lib/transport/transport.js'
import type { TransportLogger } from '../../../lib/transport/types.js'
import { tcpCollector } from '../../helpers/collector.js'
import { invariantHolds, lineOf, seqs } from './invariant.js'

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

async function until (what: string, test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

t.test('a slow reader: memory stays bounded, overflow is counted, the invariant holds', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  c.pause()
  const dropLimit = 1 << 20
  const tr = new SocketTransport({ channels: { a: { url: c.url, dropLimit, flushInterval: 10 } } })
  t.teardown(() => tr.close(100))
  const ch = tr.channel('a')
  const pad = 'x'.repeat(1000)
  const rssBefore = process.memoryUsage().rss
  let peakRss = rssBefore
  let peakQueued = 0
  let broken = 0
  let accepted = 0
  let i = 0
  const end = Date.now() + 4000
  // 200 MB offered to a reader that does not read: the kernel takes a few MB, the queue 1 MiB.
  while (i < 200_000 && Date.now() < end) {
    for (let k = 0; k < 1000; k++, i++) if (ch.log(`${i} ${pad}`)) accepted++
    const s = ch.stats()
    if (!invariantHolds(s)) broken++
    peakQueued = Math.max(peakQueued, s.queuedBytes ?? Infinity)
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
    await new Promise(resolve => setImmediate(resolve))
  }
  const s = ch.stats()
  t.equal(broken, 0, 'written = sent + queued + dropped at every step')
  t.ok(peakQueued <= dropLimit, `queued bytes peaked at ${peakQueued}, within dropLimit ${dropLimit}`)
  t.ok(s.dropped.overflow > 100_000, `overflow counted (${s.dropped.overflow} of ${s.written})`)
  t.equal(s.written, i)
  t.ok(peakRss - rssBefore < 64 * 1024 * 1024, `RSS grew by ${((peakRss - rssBefore) / 1048576).toFixed(1)} MB while ${(i / 1000).toFixed(0)} MB were offered`)
  // Once the reader reads again, every accepted line arrives, in order.
  c.resume()
  const got = await c.waitForLines(accepted, 10000)
  const ids = got.map(l => Number(l.slice(0, l.indexOf(' '))))
  t.ok(ids.every((v, k) => k === 0 || v > ids[k - 1]), 'in order')
  t.equal(ids.length, accepted, 'every accepted line, and only those')
  const final = await tr.close(2000)
  t.equal(final.a.sent, accepted)
  t.ok(invariantHolds(final.a))
})

t.test('flushLimit starts a batch write; flushInterval and flush() write the rest', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, flushLimit: 1000, flushInterval: 400 } } })
  t.teardown(() => tr.close(100))
  const ch = tr.channel('a')
  for (let i = 0; i < 9; i++) ch.log('y'.repeat(99))
  await sleep(100)
  t.equal(c.lineCount, 0, '900 bytes: below flushLimit, nothing written')
  ch.log('z'.repeat(99))
  await c.waitForLines(10, 1000)
  t.equal(c.bytes().length, 1000, 'the 1000 bytes went out at once')
  ch.log('tail')
  await sleep(100)
  t.equal(c.lineCount, 10, 'the tail waits')
  await c.waitForLines(11, 1000)
  ch.log('explicit')
  ch.flush()
  await c.waitForLines(12, 200)
  t.equal(c.lines()[11], 'explicit', 'flush() writes at once')
})

t.test('write timeout: a collector that stops reading is dropped and reconnected', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  c.pause()
  const warnings: string[] = []
  const logger: TransportLogger = { warn: (_o, msg) => { warnings.push(msg) } }
  const tr = new SocketTransport({ logger, warnInterval: 0, channels: { a: { url: c.url, timeout: 200, flushInterval: 10, dropLimit: 32 << 20, retry: { initialDelay: 10, maxDelay: 50 } } } })
  t.teardown(() => tr.close(100))
  const ch = tr.channel('a')
  const pad = 'x'.repeat(10000)
  // More than the kernel buffers hold, so that one write cannot complete.
  for (let i = 0; i < 2500; i++) ch.log(pad)
  await until('the write timeout', () => ch.stats().errors >= 1, 5000)
  t.ok(warnings.some(w => /write timed out after 200 ms/.test(w)), 'reported as a write timeout')
  await until('a new connection', () => c.connections >= 2, 5000)
  t.ok(invariantHolds(ch.stats()))
})

t.test('the write deadline runs from each write: many quick writes and idle spells never time out, a stalled one does', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const warnings: string[] = []
  const logger: TransportLogger = { warn: (_o, msg) => { warnings.push(msg) } }
  const tr = new SocketTransport({ logger, warnInterval: 0, channels: { a: { url: c.url, timeout: 150, flushInterval: 10, dropLimit: 32 << 20, retry: { initialDelay: 10, maxDelay: 50 } } } })
  t.teardown(() => tr.close(100))
  const ch = tr.channel('a')
  // Twelve writes over 600 ms (four deadlines' worth), then an idle spell past the deadline.
  for (let i = 0; i < 12; i++) {
    ch.log(`quick ${i}`)
    ch.flush()
    await sleep(50)
  }
  await sleep(300)
  ch.log('after idle')
  ch.flush()
  await c.waitForLines(13, 2000)
  t.equal(ch.stats().errors, 0, 'no write timed out')
  t.equal(c.connections, 1, 'one connection all along')
  t.same(warnings, [])
  // Now one write that cannot complete: it times out, counted from its own start.
  c.pause()
  const pad = 'x'.repeat(10000)
  const stalledAt = Date.now()
  for (let i = 0; i < 2500; i++) ch.log(pad)
  ch.flush()
  await until('the write timeout', () => ch.stats().errors >= 1, 5000)
  const after = Date.now() - stalledAt
  t.ok(after >= 140, `timed out ${after} ms after the stalled write started, not sooner`)
  t.ok(warnings.some(w => /write timed out after 150 ms/.test(w)), 'reported as a write timeout')
  c.resume()
  t.ok(invariantHolds(ch.stats()))
})

t.test('connect timeout covers the TLS handshake', async t => {
  // Accepts TCP and then says nothing: the handshake never completes.
  const mute = net.createServer(() => {})
  await new Promise<void>(resolve => mute.listen(0, '127.0.0.1', resolve))
  const port = (mute.address() as net.AddressInfo).port
  const sockets = new Set<net.Socket>()
  mute.on('connection', s => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  t.teardown(() => { for (const s of sockets) s.destroy(); mute.close() })
  const warnings: string[] = []
  const tr = new SocketTransport({ logger: { warn: (_o, msg) => { warnings.push(msg) } }, warnInterval: 0, channels: { a: { url: `tls://127.0.0.1:${port}`, timeout: 150, flushInterval: 10, retry: { initialDelay: 10, maxDelay: 20 } } } })
  t.teardown(() => tr.close(50))
  tr.channel('a').log('x')
  await until('the connect timeout', () => tr.channel('a').stats().errors >= 2, 3000)
  t.ok(warnings.some(w => /connect timed out after 150 ms/.test(w)))
  t.equal(tr.channel('a').stats().sent, 0)
})

t.test('keepalive: an idle connection is closed, and opened again for the next line', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, keepalive: 150, flushInterval: 10 } } })
  t.teardown(() => tr.close(100))
  const ch = tr.channel('a')
  ch.log('first')
  await c.waitForLines(1)
  t.equal(ch.stats().connected, true)
  await c.waitIdle(2000)
  await until('the transport to notice', () => !ch.stats().connected, 1000)
  t.equal(c.connections, 1)
  ch.log('second')
  await c.waitForLines(2)
  t.equal(c.connections, 2, 'a new connection for the next line')
  t.same(c.lines(), ['first', 'second'])
  const s = ch.stats()
  t.equal(s.errors, 0, 'closing an idle connection is no error')
})

t.test('the host is resolved again on every reconnect', async t => {
  // Two collectors on one port number: 127.0.0.1 first, then ::1.
  let v4 = await tcpCollector()
  let v6
  for (let tries = 0; ; tries++) {
    try {
      v6 = await tcpCollector({ host: '::1', port: v4.port })
      break
    } catch (err) {
      await v4.close()
      if (tries > 20) throw err
      v4 = await tcpCollector()
    }
  }
  const a = v4
  const b = v6
  t.teardown(() => Promise.all([a.close(), b.close()]))
  const answers = ['127.0.0.1', '::1']
  const asked: string[] = []
  const tr = new SocketTransport({
    channels: {
      a: {
        url: `tcp://collector.test:${a.port}`,
        flushInterval: 10,
        retry: { initialDelay: 10, maxDelay: 20 },
        lookup: (host, opts, cb) => {
          asked.push(host)
          const address = answers[Math.min(asked.length - 1, 1)]
          const family = address.includes(':') ? 6 : 4
          if (opts.all === true) (cb as unknown as (e: null, a: Array<{ address: string, family: number }>) => void)(null, [{ address, family }])
          else cb(null, address, family)
        }
      }
    }
  })
  t.teardown(() => tr.close(100))
  const ch = tr.channel('a')
  for (let i = 0; i < 100; i++) ch.log(lineOf(i))
  await a.waitForLines(100)
  await a.stop()
  for (let i = 100; i < 200; i++) ch.log(lineOf(i))
  const got = await b.waitForLines(100)
  t.same(seqs(got), Array.from({ length: 100 }, (_, i) => 100 + i), 'the rest went to the new address')
  t.ok(asked.length >= 2, `resolved ${asked.length} times`)
  t.ok(asked.every(h => h === 'collector.test'))
})

t.test('reconnect backoff grows, is capped, and never gives up', async t => {
  const c = await tcpCollector()
  const port = c.port
  await c.stop()
  const tries = { capped: 0, growing: 0 }
  const lookup = (key: keyof typeof tries) => (_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    tries[key]++
    if (opts.all === true) cb(null, [{ address: '127.0.0.1', family: 4 }])
    else cb(null, '127.0.0.1', 4)
  }
  const tr = new SocketTransport({
    channels: {
      capped: { url: `tcp://waf.test:${port}`, flushInterval: 10, retry: { initialDelay: 10, maxDelay: 20, jitter: 0 }, lookup: lookup('capped') as never },
      growing: { url: `tcp://waf.test:${port}`, flushInterval: 10, retry: { initialDelay: 40, maxDelay: 100000, factor: 8, jitter: 0 }, lookup: lookup('growing') as never }
    }
  })
  t.teardown(() => tr.close(0))
  tr.channel('capped').log('x')
  tr.channel('growing').log('x')
  await sleep(600)
  // capped: tries every ~20 ms; growing: after 40 ms, then 320 ms, then 2.5 s.
  t.ok(tries.capped >= 10, `capped delay keeps trying (${tries.capped} tries in 600 ms)`)
  t.ok(tries.growing >= 2 && tries.growing <= 3, `exponential delay (${tries.growing} tries in 600 ms)`)
  const before = tries.capped
  await sleep(200)
  t.ok(tries.capped > before, 'still trying')
  t.ok(invariantHolds(tr.channel('capped').stats()))
  t.equal(tr.channel('capped').stats().queued, 1, 'the line waits')
})
