import t from 'tap'
import { SocketTransport } from '../../../lib/transport/transport.js'
import { udpCollector } from '../../helpers/collector.js'
import { invariantHolds, lineOf, seqs } from './invariant.js'

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

t.test('one line per datagram, byte-exact, newline-terminated', async t => {
  const c = await udpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { heart: { url: c.url, flushInterval: 10 } } })
  const ch = tr.channel('heart')
  t.equal(ch.maxLineBytes, 1471, 'maxDatagram 1472 minus the newline')
  const lines = ['{"type":"heartbeat","ü":"☃"}', 'waf.shop_example.ac 12 1763764800\nwaf.shop_example.ub 300 1763764800', lineOf(1)]
  for (const l of lines) t.equal(ch.log(l), true)
  await c.waitForLines(4)
  t.same(c.datagrams().map(d => d.toString('utf8')), lines.map(l => l + '\n'), 'one datagram per log() call, a multi-line packet kept whole')
  const s = await tr.close(500)
  t.equal(s.heart.sent, 3)
  t.equal(s.heart.bytesSent, Buffer.byteLength(lines.join('\n') + '\n'))
  t.ok(invariantHolds(s.heart))
})

t.test('IPv6 loopback, many datagrams in order', async t => {
  const c = await udpCollector({ host: '::1' })
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, flushInterval: 10 } } })
  t.teardown(() => tr.close(100))
  // UDP has no backpressure: paced like requests, so the receiver in this process keeps up.
  for (let i = 0; i < 2000; i++) {
    tr.channel('a').log(lineOf(i))
    if (i % 20 === 19) await sleep(1)
  }
  const got = await c.waitForLines(2000)
  t.same(seqs(got), Array.from({ length: 2000 }, (_, i) => i))
  await tr.close(500)
})

t.test('a line over maxDatagram is dropped as oversize, never split', async t => {
  const c = await udpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, maxDatagram: 100, flushInterval: 10 } } })
  const ch = tr.channel('a')
  t.equal(ch.log('x'.repeat(99)), true, '99 bytes + newline = 100 fits')
  t.equal(ch.log('x'.repeat(100)), false, '101 does not')
  t.equal(ch.log('é'.repeat(50)), false, 'bytes are counted in UTF-8 (100 bytes + newline)')
  t.equal(ch.log('ok'), true)
  await c.waitForLines(2)
  t.same(c.datagrams().map(d => d.length), [100, 3])
  const s = await tr.close(500)
  t.equal(s.a.dropped.oversize, 2)
  t.equal(s.a.sent, 2)
  t.ok(invariantHolds(s.a))
})

t.test('EMSGSIZE from the kernel is caught, counted as an error, the line as oversize', async t => {
  const c = await udpCollector()
  t.teardown(() => c.close())
  // 65527 fits IPv6; an IPv4 datagram over 65507 bytes is refused by the kernel.
  const tr = new SocketTransport({ channels: { a: { url: c.url, maxDatagram: 65527, flushInterval: 10 } } })
  const ch = tr.channel('a')
  ch.log('before')
  t.equal(ch.log('x'.repeat(65515)), true, 'within maxDatagram: accepted')
  ch.log('after')
  await c.waitForLines(2)
  await sleep(50)
  const s = await tr.close(500)
  t.same(c.lines(), ['before', 'after'])
  t.equal(s.a.dropped.oversize, 1)
  t.ok(s.a.errors >= 1)
  t.equal(s.a.sent, 2)
  t.ok(invariantHolds(s.a))
})

t.test('collector absent: datagrams are lost quietly or counted, never block; it resumes', async t => {
  const c = await udpCollector()
  const port = c.port
  await c.stop()
  const tr = new SocketTransport({ channels: { a: { url: `udp://127.0.0.1:${port}`, flushInterval: 10, retry: { initialDelay: 10, maxDelay: 20 } } } })
  const ch = tr.channel('a')
  for (let i = 0; i < 50; i++) ch.log(lineOf(i))
  await sleep(100)
  t.ok(invariantHolds(ch.stats()))
  await c.restart()
  t.teardown(() => c.close())
  for (let i = 50; i < 60; i++) {
    ch.log(lineOf(i))
    await sleep(5)
  }
  const got = await c.waitForLines(10)
  t.ok(seqs(got).includes(59), 'datagrams flow again once it listens')
  const s = await tr.close(500)
  t.ok(invariantHolds(s.a))
  t.equal(s.a.queued, 0)
})

t.test('host names resolve on every new socket', async t => {
  const c = await udpCollector()
  t.teardown(() => c.close())
  let lookups = 0
  const tr = new SocketTransport({
    channels: {
      a: {
        url: `udp://collector.test:${c.port}`,
        flushInterval: 10,
        lookup: (host, _opts, cb) => {
          lookups++
          t.equal(host, 'collector.test')
          cb(null, '127.0.0.1', 4)
        }
      }
    }
  })
  tr.channel('a').log('resolved')
  t.same(await c.waitForLines(1), ['resolved'])
  t.equal(lookups, 1)
  await tr.close(500)
})
