import t from 'tap'
import { QueueChannel } from '../../../lib/transport/channel.js'
import { resolveChannel } from '../../../lib/transport/options.js'
import { BatchSink } from '../../../lib/transport/sink.js'
import type { Write } from '../../../lib/transport/sink.js'
import { SocketTransport } from '../../../lib/transport/transport.js'
import { tcpCollector } from '../../helpers/collector.js'
import { invariantHolds } from './invariant.js'

/**
 * How writes are coalesced: a batch sealed at `flushLimit` and `flushSoon()` write when the
 * event-loop turn ends, once for the whole turn; a write carries what every channel sharing the
 * sink has queued. A recording sink shows each write; the channels over it are the real ones.
 */

/** A sink that takes writes like a connection would, and fails them on demand. */
class RecordingSink extends BatchSink {
  readonly writes: string[] = []
  /** Writes that complete later (by `complete()`), as a real socket's callback would. */
  holding = false
  fail = false
  readonly connected = true

  kick (): void {
    if (this.inflight !== null || !this.takeNext()) return
    this.writes.push((this.inflight as Write | null)?.data ?? '')
    if (!this.holding) this.complete()
  }

  complete (): void {
    this.settle(!this.fail)
    if (!this.fail) this.kick()
  }

  protected async finish (): Promise<void> {}
}

function channelOn (sink: RecordingSink, name: string, opts: Record<string, unknown> = {}): QueueChannel {
  const cfg = resolveChannel(name, { url: 'tcp://127.0.0.1:9', flushInterval: 60000, ...opts })
  const ch = new QueueChannel(cfg, sink, { logger: undefined, warnInterval: 30000 })
  t.teardown(() => ch.close(0))
  return ch
}

const turn = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

t.test('flushSoon: one write when the turn ends, however many calls, with the lines logged meanwhile', async t => {
  const sink = new RecordingSink()
  const a = channelOn(sink, 'a')
  a.log('a1')
  a.flushSoon()
  a.log('a2')
  a.flushSoon()
  a.log('a3')
  t.same(sink.writes, [], 'nothing is written during the turn')
  await turn()
  t.same(sink.writes, ['a1\na2\na3\n'], 'one write for the turn')
  t.equal(a.stats().sent, 3)
  t.ok(invariantHolds(a.stats()))
})

t.test('a write carries the lines every channel on the sink has queued', async t => {
  const sink = new RecordingSink()
  const a = channelOn(sink, 'a')
  const b = channelOn(sink, 'b')
  b.log('b1')
  a.log('a1')
  b.log('b2')
  a.flush()
  t.same(sink.writes, ['a1\nb1\nb2\n'], 'a starts the write; b, below its flushLimit, rides along')
  t.equal(b.stats().sent, 2)
  t.ok(invariantHolds(a.stats()) && invariantHolds(b.stats()))
})

t.test('a batch sealed at flushLimit waits for the end of the turn; flushLimit 0 writes at once', async t => {
  const sink = new RecordingSink()
  const a = channelOn(sink, 'a', { flushLimit: 10 })
  for (let i = 0; i < 6; i++) a.log(`line ${i}`)
  t.same(sink.writes, [], 'sealed batches are not written within the turn')
  await turn()
  t.equal(sink.writes.length, 1, 'one write for all of them')
  t.equal(sink.writes[0], 'line 0\nline 1\nline 2\nline 3\nline 4\nline 5\n')

  const now = new RecordingSink()
  const z = channelOn(now, 'z', { flushLimit: 0 })
  z.log('at once')
  t.same(now.writes, ['at once\n'])
})

/** Channels `a` and `b` on one sink, each with a line in the one write the sink holds in flight. */
function twoChannelsInOneHeldWrite (): { sink: RecordingSink, a: QueueChannel, b: QueueChannel } {
  const sink = new RecordingSink()
  const a = channelOn(sink, 'a')
  const b = channelOn(sink, 'b')
  sink.holding = true
  a.log('a1')
  b.log('b1')
  a.flush()
  return { sink, a, b }
}

t.test('a failed write puts each channel\'s lines back in front, in order; the next write has them all', async t => {
  const { sink, a, b } = twoChannelsInOneHeldWrite()
  t.same(sink.writes, ['a1\nb1\n'])
  a.log('a2')
  b.log('b2')
  sink.fail = true
  sink.complete()
  t.equal(a.stats().queued, 2, 'nothing counted as sent')
  t.equal(b.stats().queued, 2)
  sink.fail = false
  sink.holding = false
  a.flush()
  const next = sink.writes[1].split('\n')
  t.same(next.filter(l => l.startsWith('a')), ['a1', 'a2'], "a's restored line comes first")
  t.same(next.filter(l => l.startsWith('b')), ['b1', 'b2'], "b's too, in the same write")
  t.equal(a.stats().sent, 2)
  t.equal(b.stats().sent, 2)
  t.ok(invariantHolds(a.stats()) && invariantHolds(b.stats()))
})

t.test('a channel that gives up at close leaves the shared write in flight to the others', async t => {
  const { sink, a, b } = twoChannelsInOneHeldWrite()
  const closed = await a.close(0)
  t.equal(closed.dropped.closed, 1, "a's line in the write counts as dropped")
  sink.complete()
  t.equal(b.stats().sent, 1, "b's part of the write is confirmed when it completes")
  t.ok(invariantHolds(closed) && invariantHolds(b.stats()))
})

t.test('over TCP: many requests\' worth of lines on two channels arrive whole, each channel in order', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { f: c.url, x: c.url } })
  const f = tr.channel('f')
  const x = tr.channel('x')
  for (let turnNo = 0; turnNo < 20; turnNo++) {
    for (let i = 0; i < 50; i++) {
      const n = turnNo * 50 + i
      f.log(`f${n}`)
      f.flushSoon?.()
      x.log(`x${n}`)
    }
    await turn()
  }
  const lines = await c.waitForLines(2000)
  t.equal(c.connections, 1)
  t.same(lines.filter(l => l.startsWith('f')), Array.from({ length: 1000 }, (_, n) => `f${n}`))
  t.same(lines.filter(l => l.startsWith('x')), Array.from({ length: 1000 }, (_, n) => `x${n}`))
  const final = await tr.close(1000)
  t.equal(final.f.sent, 1000)
  t.equal(final.x.sent, 1000)
})
