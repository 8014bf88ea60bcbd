import t from 'tap'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatMinusLine, formatPlusLine } from '../../lib/forensic/line.js'
import { UniqueIdGenerator } from '../../lib/lifecycle/unique-id.js'
import { apacheMissing, runCheckForensic, startApache, CHECK_FORENSIC_BIN } from '../helpers/apache.js'
import { existsSync } from 'node:fs'
import { transpileEntry } from './fixtures/transpile.js'

/**
 * bin/check-forensic against Debian's /usr/sbin/check_forensic on the same files: logs from an
 * httpd and from a Fastify app killed with SIGKILL in the middle of slow requests, and large
 * synthetic logs with hostile bytes.
 */

const BIN_SOURCE = fileURLToPath(new URL('../../bin/check-forensic.ts', import.meta.url))
const bin = transpileEntry(BIN_SOURCE)
const BIN = bin.file
const slowServer = transpileEntry(fileURLToPath(new URL('./fixtures/slow-server.ts', import.meta.url)))
t.teardown(() => {
  bin.cleanup()
  slowServer.cleanup()
})

interface Run { code: number | null, stdout: string, stderr: string }

async function ours (args: string[], stdin?: Buffer): Promise<Run> {
  const p = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  const err: Buffer[] = []
  p.stdout.on('data', (d: Buffer) => out.push(d))
  p.stderr.on('data', (d: Buffer) => err.push(d))
  p.stdin.end(stdin)
  const code = await new Promise<number | null>(resolve => p.on('close', resolve))
  return { code, stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('utf8') }
}

function plusLines (file: string): string[] {
  return readFileSync(file).toString('latin1').split('\n').filter(l => l.startsWith('+'))
}

async function waitFor (cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

function lineCount (file: string, prefix: string): number {
  return existsSync(file) ? readFileSync(file).toString('latin1').split('\n').filter(l => l.startsWith(prefix)).length : 0
}

/** Opens a connection and sends `head` (and part of a body), leaving the request unfinished. */
function openSlow (port: number, head: string): net.Socket {
  const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from(head, 'latin1')))
  s.on('error', () => {})
  return s
}

async function get (port: number, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`))
    s.on('data', () => {})
    s.on('close', () => resolve())
    s.on('error', reject)
  })
}

const checkForensicMissing = existsSync(CHECK_FORENSIC_BIN) ? undefined : `${CHECK_FORENSIC_BIN} is not installed`

t.test('an httpd killed with SIGKILL mid-request: both tools report the requests in flight', { skip: apacheMissing() ?? checkForensicMissing ?? false }, async t => {
  const apache = await startApache()
  t.teardown(() => apache.stop())
  await get(apache.port, '/fast-1')
  await get(apache.port, '/fast-2')
  // A body shorter than its Content-Length keeps httpd reading: the "+" line is written, the "-" is not.
  const slow = [0, 1, 2].map(i => openSlow(apache.port, `POST /slow-${i} HTTP/1.1\r\nHost: h\r\nX-Hostile: a|b:c%\xff\r\nContent-Length: 100\r\n\r\npart`))
  t.teardown(() => { for (const s of slow) s.destroy() })
  await waitFor(() => lineCount(apache.forensicLog, '+') === 5 && lineCount(apache.forensicLog, '-') === 2, 5000, 'httpd to log 5 "+" and 2 "-"')
  await apache.kill()
  const file = join(t.testdir(), 'forensic_log')
  copyFileSync(apache.forensicLog, file)

  const reference = runCheckForensic(file)
  const mine = await ours([file])
  t.equal(mine.code, 0)
  t.equal(mine.stdout, reference, 'the same bytes as check_forensic')
  const reported = mine.stdout.split('\n').filter(l => l.length > 0)
  t.equal(reported.length, 3)
  t.same(reported.map(l => l.slice(l.indexOf('|') + 1, l.indexOf(' HTTP'))).sort(), ['POST /slow-0', 'POST /slow-1', 'POST /slow-2'])
  t.match(reported[0], /\|X-Hostile:a%7cb%3ac%25%ff\|/)
})

t.test('a Fastify app killed with SIGKILL mid-request: both tools report the requests in flight', { skip: checkForensicMissing ?? false }, async t => {
  const file = join(t.testdir(), 'forensic.log')
  const child: ChildProcess = spawn(process.execPath, [slowServer.file, file], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d
      const m = /port (\d+)/.exec(out)
      if (m !== null) resolve(Number(m[1]))
    })
    child.once('exit', code => reject(new Error(`server exited ${String(code)}`)))
  })
  await get(port, '/fast')
  await get(port, '/fast?again')
  const slow = [
    openSlow(port, 'GET /slow?handler-never-answers HTTP/1.1\r\nHost: h\r\n\r\n'),
    openSlow(port, 'GET /slow?second HTTP/1.1\r\nHost: h\r\nUser-Agent: \xe6\x97\xa5|x\r\n\r\n'),
    openSlow(port, 'POST /slow?body-never-ends HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\npart')
  ]
  t.teardown(() => { for (const s of slow) s.destroy() })
  await waitFor(() => lineCount(file, '+') === 5 && lineCount(file, '-') === 2, 5000, 'the app to log 5 "+" and 2 "-"')
  child.kill('SIGKILL')
  await new Promise(resolve => child.once('exit', resolve))

  const reference = runCheckForensic(file)
  const mine = await ours([file])
  t.equal(mine.stdout, reference, 'the same bytes as check_forensic')
  const reported = mine.stdout.split('\n').filter(l => l.length > 0)
  t.equal(reported.length, 3)
  t.same(reported.map(l => l.split('|')[1]).sort(), [
    'GET /slow?handler-never-answers HTTP/1.1',
    'GET /slow?second HTTP/1.1',
    'POST /slow?body-never-ends HTTP/1.1'
  ])
  const json = JSON.parse((await ours(['--json', file])).stdout)
  t.match(json, { files: [file], lines: 7, requests: 5, completed: 2, incomplete: 3, unmatchedEnds: 0 })
  t.same(json.incompleteIds, reported.map(l => l.slice(1, l.indexOf('|'))))
})

/** A log of `n` requests with hostile bytes; about one in `openEvery` never ends. Ends come out of order. */
function syntheticLog (n: number, openEvery: number, seed: number): { text: string, open: string[] } {
  let x = seed
  const rnd = (): number => { x = (x * 1103515245 + 12345) & 0x7fffffff; return x / 0x7fffffff }
  const gen = new UniqueIdGenerator()
  const lines: string[] = []
  const pending: string[] = []
  const open: string[] = []
  for (let i = 0; i < n; i++) {
    const id = gen.next(1763764800000 + i * 7)
    let bytes = ''
    for (let k = 0; k < 12; k++) bytes += String.fromCharCode(Math.floor(rnd() * 256))
    lines.push(formatPlusLine(id, `GET /${i}?${bytes} HTTP/1.1`, ['Host', 'h', 'X-Bytes', bytes]))
    if (rnd() < 1 / openEvery) open.push(id)
    else pending.push(id)
    while (pending.length > 0 && rnd() < 0.6) lines.push(formatMinusLine(pending.splice(Math.floor(rnd() * pending.length), 1)[0]))
  }
  for (const id of pending) lines.push(formatMinusLine(id))
  return { text: lines.join('\n') + '\n', open }
}

t.test('large synthetic logs: the same output as check_forensic', { skip: checkForensicMissing ?? false }, async t => {
  const { text, open } = syntheticLog(20000, 500, 42)
  const file = join(t.testdir(), 'big.log')
  writeFileSync(file, Buffer.from(text, 'latin1'))
  const reference = runCheckForensic(file)
  const mine = await ours([file])
  t.equal(mine.stdout.split('\n').length - 1, open.length)
  t.ok(open.length > 10, `${open.length} open requests`)
  t.equal(mine.stdout, reference)
  // The same on stdin.
  const piped = await ours([], Buffer.from(text, 'latin1'))
  t.equal(piped.stdout, reference)
})

t.test('several files are read as one log across a rotation', async t => {
  const dir = t.testdir()
  const a = join(dir, 'forensic.log.1')
  const b = join(dir, 'forensic.log')
  writeFileSync(a, '+A|GET /a HTTP/1.1\n+B|GET /b HTTP/1.1\n-A\n+C|GET /c HTTP/1.1\n')
  writeFileSync(b, '-B\n+D|GET /d HTTP/1.1\n-E\n')
  const both = await ours([a, b])
  t.equal(both.stdout, '+C|GET /c HTTP/1.1\n+D|GET /d HTTP/1.1\n')
  const json = JSON.parse((await ours(['--json', a, '-'], Buffer.from('-C\n'))).stdout)
  t.match(json, { files: [a, '-'], requests: 3, completed: 2, incomplete: 1, incompleteIds: ['B'] })
  if (checkForensicMissing === undefined) {
    const joined = join(dir, 'joined.log')
    writeFileSync(joined, readFileSync(a, 'latin1') + readFileSync(b, 'latin1'))
    t.equal(both.stdout, runCheckForensic(joined))
  }
})

t.test('bad usage and unreadable files exit 2 with a message', async t => {
  const missingFile = await ours([join(t.testdir(), 'nope.log')])
  t.equal(missingFile.code, 2)
  t.match(missingFile.stderr, /check-forensic: .*nope\.log: ENOENT/)
  const badOpt = await ours(['--nope'])
  t.equal(badOpt.code, 2)
  t.match(badOpt.stderr, /unknown option --nope/)
  const help = await ours(['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /usage: check-forensic/)
})

t.test('the bin keeps its node shebang through compilation, so it runs as a command', async t => {
  t.match(readFileSync(BIN_SOURCE, 'utf8'), /^#!\/usr\/bin\/env node\n/)
  t.match(readFileSync(BIN, 'utf8'), /^#!\/usr\/bin\/env node\n/)
})
