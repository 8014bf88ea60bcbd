import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { SocketTransport } from '../../../lib/transport/transport.js'
import { tcpCollector, unixCollector } from '../../helpers/collector.js'
import { invariantHolds, lineOf, seqs } from './invariant.js'

const fast = { flushInterval: 20, retry: { initialDelay: 20, maxDelay: 200 } }

t.test('lines arrive byte-exact at a TCP collector, UTF-8 included', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { access: { url: c.url, ...fast } } })
  const ch = tr.channel('access')
  const lines = ['plain', '{"ua":"Mözilla ☃ 𝄞"}', '', 'tab\there', 'x'.repeat(70000)]
  for (const l of lines) t.equal(ch.log(l), true)
  await c.waitForLines(lines.length)
  t.same(c.bytes(), Buffer.from(lines.map(l => l + '\n').join(''), 'utf8'))
  const final = await tr.close(1000)
  t.equal(final.access.sent, lines.length)
  t.equal(final.access.bytesSent, Buffer.byteLength(lines.join('\n') + '\n'))
  t.ok(invariantHolds(final.access))
})

t.test('IPv6 loopback', async t => {
  const c = await tcpCollector({ host: '::1' })
  t.teardown(() => c.close())
  t.match(c.url, /^tcp:\/\/\[::1\]:\d+$/)
  const tr = new SocketTransport({ channels: { a: { url: c.url, ...fast } } })
  for (let i = 0; i < 100; i++) tr.channel('a').log(lineOf(i))
  const got = await c.waitForLines(100)
  t.same(seqs(got), Array.from({ length: 100 }, (_, i) => i))
  await tr.close(1000)
})

// Unix socket paths must stay under ~107 bytes: a short temp dir, not the tap fixture dir.
async function shortDir (t: { teardown: (fn: () => unknown) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'waf-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('unix socket collector', async t => {
  const dir = await shortDir(t)
  const c = await unixCollector({ path: path.join(dir, 'collector.sock') })
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, ...fast } } })
  for (let i = 0; i < 1000; i++) tr.channel('a').log(lineOf(i))
  const got = await c.waitForLines(1000)
  t.same(seqs(got), Array.from({ length: 1000 }, (_, i) => i))
  const s = await tr.close(1000)
  t.equal(s.a.sent, 1000)
  t.ok(invariantHolds(s.a))
})

t.test('a relative unix: path resolves against the working directory', async t => {
  const dir = await shortDir(t)
  const cwd = process.cwd()
  process.chdir(dir)
  t.teardown(() => process.chdir(cwd))
  const c = await unixCollector({ path: path.join(dir, 'rel.sock') })
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: 'unix:rel.sock', ...fast } } })
  tr.channel('a').log('hello')
  t.same(await c.waitForLines(1), ['hello'])
  await tr.close(1000)
})

t.test('collector down at start: lines queue, then arrive in order once it is up', async t => {
  const c = await tcpCollector()
  const port = c.port
  await c.stop()
  const tr = new SocketTransport({ channels: { a: { url: `tcp://127.0.0.1:${port}`, ...fast } } })
  const ch = tr.channel('a')
  for (let i = 0; i < 5000; i++) t.equal(ch.log(lineOf(i)), true, 'queued') || i === 0 || void 0
  await new Promise(resolve => setTimeout(resolve, 300))
  const down = ch.stats()
  t.equal(down.sent, 0)
  t.equal(down.queued, 5000)
  t.equal(down.connected, false)
  t.ok(down.errors > 0, 'refused connects are counted')
  t.ok(invariantHolds(down))
  await c.restart()
  t.teardown(() => c.close())
  const got = await c.waitForLines(5000)
  t.same(seqs(got), Array.from({ length: 5000 }, (_, i) => i))
  const s = await tr.close(1000)
  t.equal(s.a.sent, 5000)
  t.equal(s.a.queued, 0)
  t.ok(invariantHolds(s.a))
})

t.test('close() drains what is queued, then reports; later lines count as closed', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  // flushInterval is long and flushLimit high: only close() can push these out.
  const tr = new SocketTransport({ channels: { a: { url: c.url, flushInterval: 60000, flushLimit: 1 << 20 } } })
  const ch = tr.channel('a')
  for (let i = 0; i < 300; i++) ch.log(lineOf(i))
  t.equal(ch.stats().sent, 0)
  const final = await tr.close(2000)
  t.equal(final.a.sent, 300)
  t.equal(final.a.queued, 0)
  t.equal(final.a.connected, false)
  t.same(seqs(await c.waitForLines(300)), Array.from({ length: 300 }, (_, i) => i))
  t.equal(ch.log('late'), false)
  t.equal(ch.stats().dropped.closed, 1)
  t.ok(invariantHolds(ch.stats()))
  t.equal(await tr.close(), final, 'close is idempotent')
})

t.test('close() with the collector down counts the rest as dropped.closed', async t => {
  const c = await tcpCollector()
  const port = c.port
  await c.stop()
  const tr = new SocketTransport({ channels: { a: { url: `tcp://127.0.0.1:${port}`, ...fast } } })
  for (let i = 0; i < 50; i++) tr.channel('a').log(lineOf(i))
  const started = Date.now()
  const final = await tr.close(200)
  t.ok(Date.now() - started < 1500, 'close is bounded by its timeout')
  t.equal(final.a.sent, 0)
  t.equal(final.a.queued, 0)
  t.equal(final.a.dropped.closed, 50)
  t.ok(invariantHolds(final.a))
})

t.test('channels naming the same TCP destination share one connection', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, ...fast }, b: { url: c.url, ...fast }, other: { url: c.url, timeout: 5000 } } })
  tr.channel('a').log('from a')
  tr.channel('b').log('from b')
  tr.channel('a').flush()
  tr.channel('b').flush()
  const got = await c.waitForLines(2)
  t.same(got.sort(), ['from a', 'from b'])
  t.equal(c.connections, 1, 'a and b share a connection')
  t.equal(tr.stats().a.sent, 1)
  t.equal(tr.stats().b.sent, 1)
  tr.channel('other').log('other')
  tr.channel('other').flush()
  await c.waitForLines(3)
  t.equal(c.connections, 2, 'different connection options: a connection of its own')
  await tr.close(1000)
})

t.test('one channel giving up at close does not stall another on the same connection', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  c.pause()
  const tr = new SocketTransport({ channels: { a: { url: c.url, ...fast, dropLimit: 32 << 20 }, b: { url: c.url, ...fast } } })
  t.teardown(() => tr.close(100))
  const a = tr.channel('a')
  const b = tr.channel('b')
  const pad = 'a'.repeat(10000)
  for (let i = 0; i < 2000; i++) a.log(pad)
  await new Promise(resolve => setTimeout(resolve, 100))
  const closedA = await a.close(50)
  t.ok(closedA.dropped.closed > 0, 'a gave up on what the stuck reader did not take')
  t.ok(invariantHolds(closedA))
  for (let i = 0; i < 100; i++) b.log(lineOf(i))
  c.resume()
  await new Promise<void>((resolve, reject) => {
    const end = Date.now() + 5000
    const poll = (): void => {
      if (b.stats().sent === 100) resolve()
      else if (Date.now() > end) reject(new Error(`b stalled: ${JSON.stringify(b.stats())}`))
      else setTimeout(poll, 10)
    }
    poll()
  })
  t.ok(invariantHolds(b.stats()))
  const end = Date.now() + 5000
  while (c.lines().filter(l => l.startsWith('{')).length < 100 && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 10))
  const got = c.lines().filter(l => l.startsWith('{'))
  t.same(seqs(got), Array.from({ length: 100 }, (_, i) => i), "b's lines arrive whole and in order")
})
