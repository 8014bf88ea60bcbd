import t from 'tap'
import { readFile, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { SocketTransport } from '../../../lib/transport/transport.js'
import { invariantHolds, lineOf, seqs } from './invariant.js'

/**
 * reopen(), logrotate's `postrotate kill -USR1`: the files are renamed aside while lines are
 * being logged, then reopened; every line is in exactly one of the two files, in order.
 */

async function linesOf (file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.split('\n').filter(l => l.length > 0)
}

const tick = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

t.test('renamed aside under load, then reopened: no line lost or written twice', async t => {
  const dir = t.testdir()
  const shared = path.join(dir, 'access.log')
  const own = path.join(dir, 'attack.log')
  const tr = new SocketTransport({
    channels: {
      // Two channels on one file share one sink; one on a file of its own.
      a: { url: `file://${shared}`, flushLimit: 4096, flushInterval: 20 },
      b: { url: `file://${shared}`, flushLimit: 4096, flushInterval: 20 },
      c: { url: `file://${own}`, flushLimit: 512, flushInterval: 20 }
    }
  })
  const n = 6000
  let seq = 0
  const logSome = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++, seq++) {
      tr.channel(['a', 'b', 'c'][seq % 3]).log(lineOf(seq))
      if (i % 100 === 99) await tick()
    }
  }
  await logSome(n / 3)
  await rename(shared, shared + '.1')
  await rename(own, own + '.1')
  const beforeReopen = seq
  // Lines queued before reopen() go to the renamed files; during it, either file.
  const reopening = tr.reopen()
  const during = logSome(n / 3)
  const files = await reopening
  await during
  t.same(files.sort(), [shared, own].sort(), 'both files were reopened')
  await logSome(n / 3)
  const stats = await tr.close()
  for (const s of Object.values(stats)) t.ok(invariantHolds(s))
  t.equal(stats.a.sent + stats.b.sent + stats.c.sent, n, 'every line sent')

  const all: number[] = []
  for (const file of [shared, own]) {
    const old = seqs(await linesOf(file + '.1'))
    const cur = seqs(await linesOf(file))
    t.ok(old.length > 0 && cur.length > 0, `${path.basename(file)}: lines in the old file and in the new one`)
    all.push(...old, ...cur)
    const perChannel = (xs: number[], ch: number): number[] => xs.filter(x => x % 3 === ch)
    for (const ch of file === own ? [2] : [0, 1]) {
      const order = [...perChannel(old, ch), ...perChannel(cur, ch)]
      t.same(order, [...order].sort((x, y) => x - y), `channel ${'abc'[ch]}: in order across the reopen`)
    }
  }
  t.equal(all.length, n, 'as many lines in the files as were logged')
  t.equal(new Set(all).size, n, 'none written twice')
  const renamed = new Set([...seqs(await linesOf(shared + '.1')), ...seqs(await linesOf(own + '.1'))])
  const missing = Array.from({ length: beforeReopen }, (_, i) => i).filter(i => !renamed.has(i))
  t.same(missing, [], 'every line logged before reopen() was called is in the renamed files')
})

t.test('reopen creates the file again when logrotate removed it, and is a no-op with nothing open', async t => {
  const dir = t.testdir()
  const file = path.join(dir, 'heartbeat.log')
  const tr = new SocketTransport({ channels: { h: { url: `file://${file}`, flushInterval: 10 } } })
  t.same(await tr.reopen(), [file], 'a file channel that has not opened its file yet: reopen resolves at once')
  tr.channel('h').log(lineOf(1))
  tr.channel('h').flush()
  await new Promise(resolve => setTimeout(resolve, 50))
  await rm(file)
  tr.channel('h').log(lineOf(2))
  await tr.reopen()
  tr.channel('h').log(lineOf(3))
  await tr.close()
  t.same(seqs(await linesOf(file)), [3], 'line 2 went to the removed file (as with nginx), line 3 to the new one')
})

t.test('a transport without file channels reopens nothing', async t => {
  const tr = new SocketTransport({ channels: { s: 'stdout:' } })
  t.same(await tr.reopen(), [])
  await tr.close()
})
