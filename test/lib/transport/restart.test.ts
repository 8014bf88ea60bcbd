import t from 'tap'
import { SocketTransport } from '../../../lib/transport/transport.js'
import { tcpCollector } from '../../helpers/collector.js'
import { invariantHolds, lineOf, logPaced, seqs } from './invariant.js'
import { until } from '../../helpers/until.js'

const fast = { flushInterval: 20, retry: { initialDelay: 10, maxDelay: 100 } }


t.test('collector restarted gracefully in the middle of 100k lines: nothing lost, order kept', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, ...fast } } })
  const ch = tr.channel('a')
  const N = 100_000
  let restarted: Promise<void> | undefined
  let accepted = 0
  for (let i = 0; i < N; i += 1000) {
    accepted += await logPaced(line => ch.log(line), i, 1000, 1000)
    if (i === 40_000) {
      // Stops accepting, half-closes, reads until the transport closes its side, then comes back.
      restarted = c.stop().then(() => new Promise(resolve => setTimeout(resolve, 50))).then(() => c.restart())
    }
  }
  await restarted
  t.equal(accepted, N, 'no line dropped while the collector was away')
  const got = await c.waitForLines(N, 15000)
  t.equal(got.length, N)
  t.ok(seqs(got).every((s, i) => s === i), 'every line once, in order')
  t.same(c.fragments(), [], 'no line cut in half')
  t.ok(c.connections >= 2, 'a new connection after the restart')
  const s = await tr.close(2000)
  t.equal(s.a.sent, N)
  t.ok(s.a.reconnects >= 1)
  t.ok(invariantHolds(s.a))
})

t.test('collector crashed (RST) and restarted: reconnects, delivers what was queued after the crash', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, ...fast } } })
  const ch = tr.channel('a')
  await logPaced(line => ch.log(line), 0, 2000)
  await c.waitForLines(2000)
  await until('the first batch to be confirmed', () => ch.stats().sent === 2000)
  await c.crash()
  await until('the reset to be noticed', () => !ch.stats().connected)
  const afterCrash = ch.stats()
  t.ok(afterCrash.errors >= 1, 'the reset counts as an error')
  t.ok(invariantHolds(afterCrash))
  await logPaced(line => ch.log(line), 2000, 3000)
  await new Promise(resolve => setTimeout(resolve, 100))
  const down = ch.stats()
  t.ok(down.queued > 0, 'lines queue while it is down')
  t.ok(invariantHolds(down))
  await c.restart()
  const got = await c.waitForLines(5000, 10000)
  t.same(seqs(got.slice(2000)), Array.from({ length: 3000 }, (_, i) => 2000 + i), 'everything queued after the crash, in order')
  const s = await tr.close(2000)
  t.ok(s.a.reconnects >= 1)
  t.equal(s.a.sent, 5000)
  t.ok(invariantHolds(s.a))
})

t.test('a crash under load: counters stay consistent at every moment', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, ...fast, dropLimit: 256 * 1024 } } })
  const ch = tr.channel('a')
  let broken = 0
  const check = setInterval(() => { if (!invariantHolds(ch.stats())) broken++ }, 1)
  for (let round = 0; round < 3; round++) {
    await logPaced(line => { const ok = ch.log(line); if (!invariantHolds(ch.stats())) broken++; return ok }, round * 10000, 10000, 200)
    await c.crash()
    await new Promise(resolve => setTimeout(resolve, 30))
    await c.restart()
  }
  // Lines logged while it was down may have overflowed; once it is back and drained, none does.
  await until('the queue to drain after the last restart', () => ch.stats().queued === 0)
  t.equal(await logPaced(line => ch.log(line), 30000, 1000), 1000)
  clearInterval(check)
  const s = await tr.close(3000)
  t.equal(broken, 0, 'written = sent + queued + dropped at every sample')
  t.ok(invariantHolds(s.a))
  t.equal(s.a.queued, 0)
  t.ok(s.a.errors >= 1)
  await c.waitIdle()
  const got = c.lines()
  t.ok(got.length <= s.a.sent, 'at most once: the collector never has more lines than were sent')
  const ids = seqs(got)
  t.equal(new Set(ids).size, ids.length, 'no duplicate line')
  t.same(ids.slice(-1000), Array.from({ length: 1000 }, (_, i) => 30000 + i), 'the lines after the last restart arrived, in order')
})
