import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { workerFilePath } from '../../../lib/transport/worker-file.js'

/**
 * One log file, several workers: a rotated file channel gets a file per cluster worker, so no two
 * workers rotate the same file; without rotation every worker appends to the one file, line by
 * line. Two real node:cluster workers write both at once.
 */

const fixture = fileURLToPath(new URL('../../fixtures/cluster-files.ts', import.meta.url))

t.test('the worker id goes before the first extension, only for rotated files in a worker', async t => {
  t.equal(workerFilePath('/var/log/waf/access.log', true, 3), '/var/log/waf/access.3.log')
  t.equal(workerFilePath('/var/log/waf/forensic.log.gz', true, 1), '/var/log/waf/forensic.1.log.gz')
  t.equal(workerFilePath('/var/log/waf/access', true, 2), '/var/log/waf/access.2')
  t.equal(workerFilePath('/var/log/.hidden', true, 2), '/var/log/.hidden.2')
  t.equal(workerFilePath('/var/log/waf/access.log', false, 3), '/var/log/waf/access.log', 'no rotation: the one file')
  t.equal(workerFilePath('/var/log/waf/access.log', true, undefined), '/var/log/waf/access.log', 'not a worker: the file named')
  t.equal(workerFilePath('/var/log/waf/access.log', true), '/var/log/waf/access.log', 'this test is no cluster worker')
})

t.test('two cluster workers: each rotates its own files; the shared file holds every line whole', async t => {
  const dir = t.testdir({})
  const LINES = 400
  const child = spawn(process.execPath, [...process.execArgv, fixture, dir, '2', String(LINES)], { stdio: ['ignore', 'inherit', 'inherit'] })
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('workers did not finish within 60 s')) }, 60_000)
    child.once('exit', c => { clearTimeout(timer); resolve(c) })
  })
  t.equal(code, 0, 'both workers wrote and drained every line')

  const files = readdirSync(dir).sort()
  const lines = (f: string): string[] => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(l => l.length > 0)
  t.notOk(files.includes('rot.log'), 'no worker writes the rotated channel\'s common file')
  for (const wid of [1, 2]) {
    // rot.<wid>.log and its rotations rot.<stamp>[-n].<wid>.log
    const own = files.filter(f => f.startsWith('rot.') && f.endsWith(`.${wid}.log`))
    t.ok(own.length >= 3, `worker ${wid}: its file and its rotations (${own.join(', ')})`)
    const got = own.flatMap(lines)
    t.ok(got.every(l => l.startsWith(`w${wid} `)), `worker ${wid}'s files hold its lines only`)
    t.same(got.map(l => Number(l.split(' ')[1])).sort((a, b) => a - b), Array.from({ length: LINES }, (_, i) => i), `worker ${wid}: every line once, none lost to another's rotation`)
  }
  const shared = lines('shared.log')
  t.equal(shared.length, 2 * LINES, 'the shared file holds both workers\' lines')
  t.ok(shared.every(l => /^w[12] \d+ x{40}$/.test(l)), 'every line whole: appends never interleave')
  for (const wid of [1, 2]) t.equal(shared.filter(l => l.startsWith(`w${wid} `)).length, LINES)
})
