import t from 'tap'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { SocketTransport } from '../../../lib/transport/transport.js'
import { invariantHolds, lineOf } from './invariant.js'

/** A collector nobody here wrote: Debian's socat, appending what it receives to a file. */

const SOCAT = '/usr/bin/socat'
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

async function freePort (): Promise<number> {
  const s = net.createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise(resolve => s.close(resolve))
  return port
}

function startSocat (t: Tap, args: string[]): ChildProcess {
  const child = spawn(SOCAT, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  child.stderr?.on('data', (d: Buffer) => t.comment(`socat: ${d.toString().trim()}`))
  t.teardown(() => { child.kill('SIGKILL') })
  return child
}

type Tap = { teardown: (fn: () => unknown) => void, comment: (msg: string) => void }

async function fileSize (file: string): Promise<number> {
  return stat(file).then(s => s.size, () => 0)
}

async function waitForSize (file: string, bytes: number, ms = 10000): Promise<void> {
  const end = Date.now() + ms
  while (await fileSize(file) < bytes) {
    if (Date.now() > end) throw new Error(`${file}: ${await fileSize(file)} of ${bytes} bytes after ${ms} ms`)
    await sleep(20)
  }
}

if (!existsSync(SOCAT)) {
  t.plan(0, 'socat is not installed (apt-get install socat)')
} else {
  t.test('TCP into socat into a file: byte-exact, in order', async t => {
    const dir = t.testdir()
    const out = path.join(dir, 'access.ndjson')
    const port = await freePort()
    startSocat(t, ['-u', `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `OPEN:${out},creat,append`])
    // socat is not listening yet: the transport queues and retries until it is.
    const tr = new SocketTransport({ channels: { access: { url: `tcp://127.0.0.1:${port}`, flushInterval: 10, retry: { initialDelay: 20, maxDelay: 100 } } } })
    const lines = ['{"ua":"Mözilla ☃ 𝄞"}', ...Array.from({ length: 20000 }, (_, i) => lineOf(i))]
    for (const l of lines) tr.channel('access').log(l)
    const expected = Buffer.from(lines.join('\n') + '\n')
    await waitForSize(out, expected.length)
    const s = await tr.close(2000)
    t.equal(s.access.sent, lines.length)
    t.ok(invariantHolds(s.access))
    await sleep(50)
    t.ok((await readFile(out)).equals(expected), 'the file holds exactly the lines')
  })

  t.test('UDP into socat into a file: one datagram per line', async t => {
    const dir = t.testdir()
    const out = path.join(dir, 'heart.ndjson')
    const port = await freePort()
    startSocat(t, ['-u', `UDP-RECV:${port},bind=127.0.0.1`, `OPEN:${out},creat,append`])
    await sleep(200)
    const tr = new SocketTransport({ channels: { heart: { url: `udp://127.0.0.1:${port}`, flushInterval: 10 } } })
    const lines = Array.from({ length: 200 }, (_, i) => lineOf(i))
    for (const l of lines) {
      tr.channel('heart').log(l)
      await sleep(1)
    }
    const expected = Buffer.from(lines.join('\n') + '\n')
    await waitForSize(out, expected.length)
    await tr.close(500)
    t.ok((await readFile(out)).equals(expected))
  })

  t.test('unix socket into socat, socat restarted in the middle: nothing lost', async t => {
    const dir = t.testdir()
    const out = path.join(dir, 'forensic.log')
    const sock = path.join('/tmp', `waf-socat-${process.pid}.sock`)
    const args = ['-u', `UNIX-LISTEN:${sock},unlink-early,fork`, `OPEN:${out},creat,append`]
    let socat = startSocat(t, args)
    const tr = new SocketTransport({ channels: { f: { url: `unix://${sock}`, flushInterval: 10, retry: { initialDelay: 20, maxDelay: 100 } } } })
    t.teardown(() => tr.close(100))
    const first = Array.from({ length: 5000 }, (_, i) => lineOf(i))
    for (const l of first) tr.channel('f').log(l)
    const firstBytes = Buffer.byteLength(first.join('\n') + '\n')
    await waitForSize(out, firstBytes)
    await until(() => tr.channel('f').stats().sent === 5000)
    // SIGTERM: socat ends; its forked child finishes the connection it serves.
    socat.kill('SIGTERM')
    await new Promise(resolve => socat.once('exit', resolve))
    const second = Array.from({ length: 5000 }, (_, i) => lineOf(5000 + i))
    for (const l of second) tr.channel('f').log(l)
    await sleep(100)
    socat = startSocat(t, args)
    const all = [...first, ...second]
    await waitForSize(out, Buffer.byteLength(all.join('\n') + '\n'))
    const text = await readFile(out, 'utf8')
    t.equal(text, all.join('\n') + '\n', 'every line once, in order, across the restart')
  })
}

async function until (test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!test()) {
    if (Date.now() > end) throw new Error('timed out')
    await sleep(10)
  }
}
