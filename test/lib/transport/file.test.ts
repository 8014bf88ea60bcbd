import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdir, readdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { SocketTransport } from '../../../lib/transport/transport.js'
import { invariantHolds, lineOf, seqs } from './invariant.js'

const run = promisify(execFile)
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

async function until (what: string, test: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

async function size (file: string): Promise<number> {
  return stat(file).then(s => s.size, () => -1)
}

t.test('buffer (flushLimit) and flush (flushInterval), like nginx access_log buffer= flush=', async t => {
  const dir = t.testdir()
  const file = path.join(dir, 'access.log')
  const tr = new SocketTransport({ channels: { a: { url: `file://${file}`, flushLimit: 1000, flushInterval: 300 } } })
  const ch = tr.channel('a')
  ch.log('x'.repeat(99))
  await sleep(50)
  t.equal(await size(file), -1, 'below the buffer size and before the flush time: nothing written yet')
  for (let i = 0; i < 9; i++) ch.log('y'.repeat(99))
  await until('the full buffer to be written', async () => await size(file) === 1000)
  ch.log('tail')
  await sleep(50)
  t.equal(await size(file), 1000, 'the tail waits for the flush time')
  await until('the periodic flush', async () => await size(file) === 1005, 1000)
  const s = await tr.close()
  t.equal(s.a.sent, 11)
  t.equal(s.a.bytesSent, 1005)
  t.ok(invariantHolds(s.a))
})

t.test('appends to an existing file, UTF-8 byte-exact', async t => {
  const dir = t.testdir()
  const file = path.join(dir, 'access.log')
  await writeFile(file, 'existing\n')
  const tr = new SocketTransport({ channels: { a: `file://${file}` } })
  tr.channel('a').log('{"ua":"Mözilla ☃ 𝄞"}')
  await tr.close()
  t.equal(await readFile(file, 'utf8'), 'existing\n{"ua":"Mözilla ☃ 𝄞"}\n')
})

t.test('gzip: complete members per flush, readable by zcat at any moment', async t => {
  const dir = t.testdir()
  const file = path.join(dir, 'access.log.gz')
  const tr = new SocketTransport({ channels: { a: { url: `file://${file}`, gzip: 6, flushLimit: 2048, flushInterval: 20 } } })
  const ch = tr.channel('a')
  let logged = 0
  let reads = 0
  const deadline = Date.now() + 3000
  while (logged < 20000 && Date.now() < deadline) {
    for (let i = 0; i < 500; i++) ch.log(lineOf(logged++))
    await sleep(5)
    if (await size(file) > 0) {
      // zcat exits non-zero on a truncated member; every read must be a clean prefix.
      const { stdout } = await run('zcat', [file], { maxBuffer: 64 << 20 })
      const got = stdout.split('\n')
      t.equal(got.pop(), '', 'ends with a whole line')
      if (!seqs(got).every((s, i) => s === i)) t.fail('zcat output is not a prefix of the lines')
      reads++
    }
  }
  t.ok(reads >= 5, `zcat read the file ${reads} times while it was written`)
  const s = await tr.close()
  t.equal(s.a.sent, logged)
  const all = gunzipSync(await readFile(file)).toString('utf8').split('\n')
  all.pop()
  t.same(seqs(all), Array.from({ length: logged }, (_, i) => i), 'every line, in order')
  t.ok(s.a.bytesSent > (await size(file)), 'bytesSent counts the lines, the file holds them compressed')
})

t.test('rotate by size: files stay under the size, nothing lost or repeated', async t => {
  const dir = t.testdir()
  const file = path.join(dir, 'access.log')
  const tr = new SocketTransport({ channels: { a: { url: `file://${file}`, flushLimit: 500, flushInterval: 20, rotate: { size: 4000 } } } })
  const ch = tr.channel('a')
  for (let i = 0; i < 1000; i++) {
    ch.log(lineOf(i))
    if (i % 50 === 49) await sleep(2)
  }
  await tr.close()
  const names = (await readdir(dir)).sort()
  t.ok(names.length >= 10, `rotated into ${names.length} files`)
  t.ok(names.includes('access.log'))
  const rotated = names.filter(n => n !== 'access.log')
  t.ok(rotated.every(n => /^access\.\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d(-\d+)?\.log$/.test(n)), 'named like Zeek: name.YYYY-MM-DD-HH-MM-SS.log')
  const parts: number[][] = []
  for (const n of names) {
    const text = await readFile(path.join(dir, n), 'utf8')
    t.ok(Buffer.byteLength(text) <= 4000, `${n} is within the size`)
    const lines = text.split('\n')
    t.equal(lines.pop(), '')
    parts.push(seqs(lines))
  }
  parts.sort((a, b) => a[0] - b[0])
  t.same(parts.flat(), Array.from({ length: 1000 }, (_, i) => i), 'every line once, in order across the files')
})

t.test('rotate by interval (epoch-aligned), gzip files stay readable', async t => {
  const dir = t.testdir()
  const file = path.join(dir, 'attack.log.gz')
  const tr = new SocketTransport({ channels: { a: { url: `file://${file}`, gzip: 1, flushInterval: 20, rotate: { interval: 1000 } } } })
  const ch = tr.channel('a')
  // Straddle at least one whole-second boundary.
  const start = Date.now()
  let i = 0
  while (Date.now() - start < 1300) {
    ch.log(lineOf(i++))
    await sleep(20)
  }
  await tr.close()
  const names = (await readdir(dir)).sort()
  t.ok(names.length >= 2, `rotated at the interval: ${names.join(' ')}`)
  t.ok(names.filter(n => n !== 'attack.log.gz').every(n => /^attack\.[\d-]+\.log\.gz$/.test(n)))
  const parts: number[][] = []
  for (const n of names) {
    const { stdout } = await run('zcat', [path.join(dir, n)])
    const lines = stdout.split('\n')
    lines.pop()
    parts.push(seqs(lines))
  }
  parts.sort((a, b) => a[0] - b[0])
  t.same(parts.flat(), Array.from({ length: i }, (_, k) => k))
})

t.test('a file that cannot be opened: errors counted, lines kept, written once it can be', async t => {
  const dir = t.testdir()
  const file = path.join(dir, 'later', 'access.log')
  // Writable at start (a start refuses it otherwise: file-access.test.ts), gone at the first write.
  await mkdir(path.dirname(file))
  const tr = new SocketTransport({ channels: { a: { url: `file://${file}`, flushInterval: 10, retry: { initialDelay: 10, maxDelay: 50 } } } })
  await rmdir(path.dirname(file))
  const ch = tr.channel('a')
  for (let i = 0; i < 10; i++) ch.log(lineOf(i))
  await until('an error', () => ch.stats().errors > 0)
  t.equal(ch.stats().queued, 10)
  t.ok(invariantHolds(ch.stats()))
  await mkdir(path.dirname(file))
  await until('the lines to be written', () => ch.stats().sent === 10)
  t.same(seqs((await readFile(file, 'utf8')).trim().split('\n')), Array.from({ length: 10 }, (_, k) => k))
  await tr.close()
})
