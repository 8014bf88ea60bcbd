import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { transpileEntry } from '../../bin/fixtures/transpile.js'
import { UniqueIdGenerator, uniqueId, isUniqueId, decodeUniqueId, UNIQUE_ID_LENGTH } from '../../../lib/lifecycle/unique-id.js'

t.test('ids are 27 base64url characters laid out like mod_unique_id', async t => {
  const now = 1763764800123
  const id = uniqueId(now)
  t.equal(id.length, UNIQUE_ID_LENGTH)
  t.ok(isUniqueId(id), id)
  const f = decodeUniqueId(id)
  t.equal(f.time, Math.floor(now / 1000))
  t.equal(f.root.length, 10)
})

t.test('1M ids from one process contain no duplicate', async t => {
  const gen = new UniqueIdGenerator()
  const seen = new Set<string>()
  const now = Date.now()
  for (let i = 0; i < 1_000_000; i++) seen.add(gen.next(now))
  t.equal(seen.size, 1_000_000)
})

t.test('the counter carries into the sequence instead of wrapping', async t => {
  const gen = new UniqueIdGenerator(Buffer.alloc(10))
  const now = Date.now()
  const seen = new Set<string>()
  for (let i = 0; i < 70_000; i++) seen.add(gen.next(now))
  t.equal(seen.size, 70_000)
})

t.test('two processes started in the same second do not collide', async t => {
  // Run the real generator in two child processes pinned to the same clock second.
  // Plain node on the transpiled module: a TypeScript loader would cost seconds per process.
  const mod = transpileEntry(fileURLToPath(new URL('../../../lib/lifecycle/unique-id.ts', import.meta.url)))
  t.teardown(mod.cleanup)
  const child = (): Promise<string[]> => new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', `
      import('${pathToFileURL(mod.file).href}').then(m => {
        const out = []
        for (let i = 0; i < 50000; i++) out.push(m.uniqueId(1763764800000))
        process.stdout.write(out.join('\\n'))
      })`], { stdio: ['ignore', 'pipe', 'inherit'] })
    let s = ''
    p.stdout.setEncoding('utf8').on('data', d => { s += d })
    p.on('error', reject)
    p.on('close', code => code === 0 ? resolve(s.split('\n')) : reject(new Error(`child exited ${code}`)))
  })
  const [a, b] = await Promise.all([child(), child()])
  t.equal(a.length, 50000)
  t.equal(b.length, 50000)
  const all = new Set([...a, ...b])
  t.equal(all.size, 100000)
})

t.test('the table encoding equals base64url of the 20-byte layout, across counter and second changes', async t => {
  const root = Buffer.from('00ff10e07fa5c3013cfe', 'hex')
  const gen = new UniqueIdGenerator(root)
  let mismatches = 0
  let lastCounter = -1
  for (let i = 0; i < 140_000; i++) {
    const now = 1763764800000 + Math.floor(i / 50_000) * 1000 + (i % 1000)
    const id = gen.next(now)
    const f = decodeUniqueId(id)
    const expected = Buffer.alloc(20)
    expected.writeUInt32BE(Math.floor(now / 1000), 0)
    root.copy(expected, 4)
    expected.writeUInt16BE(f.counter, 14)
    expected.writeUInt32BE(f.sequence, 16)
    if (id !== expected.toString('base64url')) mismatches++
    if (lastCounter !== -1 && f.counter !== ((lastCounter + 1) & 0xffff)) mismatches++
    lastCounter = f.counter
  }
  t.equal(mismatches, 0)
  const f = decodeUniqueId(gen.next(1763764802000))
  t.ok(f.sequence === 2 || f.sequence === 3, 'the sequence carried two or three times in 140k ids (the counter starts at random)')
  t.same(f.root, root)
})
