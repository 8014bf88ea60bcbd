import t from 'tap'
import { SocketTransport } from '../../../lib/transport/transport.js'
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

async function deadUrl (): Promise<string> {
  const c = await tcpCollector()
  await c.stop()
  return `tcp://127.0.0.1:${c.port}`
}

t.test('dropLimit counts UTF-8 bytes exactly, newline included', async t => {
  const tr = new SocketTransport({ channels: { a: { url: await deadUrl(), dropLimit: 100, flushLimit: 0 } } })
  t.teardown(() => tr.close(0))
  const ch = tr.channel('a')
  const snowmen = '☃'.repeat(10) // 30 bytes in UTF-8, 10 UTF-16 units
  t.equal(ch.log(snowmen), true)
  t.equal(ch.log(snowmen), true)
  t.equal(ch.log(snowmen), true)
  t.equal(ch.stats().queuedBytes, 93)
  t.equal(ch.log(snowmen), false, '124 bytes would pass the bound')
  t.equal(ch.log('123456'), true, '93 + 7 = 100: exactly at the bound')
  t.equal(ch.log(''), false, 'even an empty line (its newline) does not fit now')
  const s = ch.stats()
  t.equal(s.queuedBytes, 100)
  t.equal(s.dropped.overflow, 2)
  t.equal(s.queued, 4)
  t.ok(invariantHolds(s))
})

t.test('the bound holds for batched lines too, ASCII and astral alike', async t => {
  const tr = new SocketTransport({ channels: { a: { url: await deadUrl(), dropLimit: 10000, flushLimit: 1000 } } })
  t.teardown(() => tr.close(0))
  const ch = tr.channel('a')
  const lines = ['ascii line', '𝄞 clef', 'ünïcödé', '☃', 'x'.repeat(300)]
  let expected = 0
  for (let i = 0; i < 2000; i++) {
    const l = lines[i % lines.length]
    if (ch.log(l)) expected += Buffer.byteLength(l) + 1
    const q = ch.stats().queuedBytes ?? -1
    if (q > 10000) t.fail(`queued ${q} bytes`)
  }
  t.equal(ch.stats().queuedBytes, expected, 'queuedBytes is the exact UTF-8 size of what was accepted')
  t.ok(expected > 10000 - 301 - 4, 'and fills the bound up to the last line that fits')
  t.ok(invariantHolds(ch.stats()))
})

t.test('log() takes anything, never throws', async t => {
  const tr = new SocketTransport({ channels: { a: { url: await deadUrl(), flushLimit: 0 } } })
  t.teardown(() => tr.close(0))
  const ch = tr.channel('a') as unknown as { log: (x: unknown) => boolean, stats: () => { written: number, queued: number } }
  t.equal(ch.log(42), true)
  t.equal(ch.log(undefined), true)
  t.equal(ch.log({ a: 1 }), true)
  t.equal(ch.stats().queued, 3)
})

t.test('FIN from the collector: nothing more is written to that connection; the next lines use a new one', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, flushInterval: 10 } } })
  t.teardown(() => tr.close(100))
  const ch = tr.channel('a')
  for (let i = 0; i < 100; i++) ch.log(lineOf(i))
  await c.waitForLines(100)
  await until('the batch to be confirmed', () => ch.stats().sent === 100)
  const before = c.bytesPerConnection()[0]
  c.halfClose()
  await c.waitIdle(2000)
  t.equal(c.bytesPerConnection()[0], before, 'the half-closed connection got no further byte')
  t.equal(ch.stats().errors, 0, 'a FIN is no error')
  for (let i = 100; i < 200; i++) ch.log(lineOf(i))
  await c.waitForLines(200)
  t.equal(c.connections, 2)
  t.same(seqs(c.lines()), Array.from({ length: 200 }, (_, i) => i))
})

t.test('FIN while a large write is in flight: that write completes, nothing is lost or repeated', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, flushInterval: 5, retry: { initialDelay: 5, maxDelay: 20 } } } })
  t.teardown(() => tr.close(100))
  const ch = tr.channel('a')
  const pad = 'p'.repeat(500)
  let n = 0
  for (let round = 0; round < 20; round++) {
    for (let k = 0; k < 500; k++) ch.log(`${n++} ${pad}`)
    await sleep(2)
    if (round % 4 === 1) c.halfClose()
  }
  await c.waitForLines(n, 10000)
  const ids = c.lines().map(l => Number(l.slice(0, l.indexOf(' '))))
  t.same(ids, Array.from({ length: n }, (_, i) => i), 'every line once, in order, over several connections')
  t.ok(c.connections >= 3)
  t.same(c.fragments(), [])
})
