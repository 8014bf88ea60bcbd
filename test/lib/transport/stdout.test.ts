import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { invariantHolds } from './invariant.js'
import type { ChannelStats } from '../../../lib/transport/types.js'

const CHILD = fileURLToPath(new URL('./fixtures/stdout-child.ts', import.meta.url))

function runChild (n: number, stdoutClosed = false): Promise<{ out: string, stats: ChannelStats, code: number | null, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, CHILD, String(n), stdoutClosed ? '300' : '5000'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    if (stdoutClosed) child.stdout.destroy()
    else child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    const timer = setTimeout(() => { child.kill(); reject(new Error('child timed out')) }, 30000)
    child.on('close', code => {
      clearTimeout(timer)
      const text = Buffer.concat(err).toString()
      // The stats are the child's last JSON line; process warnings may come after them.
      const last = text.trim().split('\n').filter(l => l.startsWith('{')).pop() ?? ''
      try {
        resolve({ out: Buffer.concat(out).toString('utf8'), stats: JSON.parse(last) as ChannelStats, code, stderr: text })
      } catch {
        reject(new Error(`child stderr: ${text}`))
      }
    })
  })
}

// Both children start at once: loading TypeScript in a child is the slow part.
const normal = runChild(20000)
const broken = runChild(2000, true)

t.test('stdout: lines arrive on standard output, in order, and close drains them', async t => {
  const { out, stats, code } = await normal
  t.equal(code, 0)
  const lines = out.split('\n')
  t.equal(lines.pop(), '', 'ends with a newline')
  t.equal(lines.length, 20000)
  t.ok(lines.every((l, i) => l === JSON.stringify({ seq: i, text: 'ünïcödé' })), 'byte-exact, in order')
  t.equal(stats.sent, 20000)
  t.equal(stats.bytesSent, Buffer.byteLength(out))
  t.ok(invariantHolds(stats))
})

t.test('stdout closed by the reader (EPIPE): counted, the process does not crash', async t => {
  const { stats, code, stderr } = await broken
  t.equal(code, 0, 'exits normally')
  t.ok(stats.errors >= 1, 'the broken pipe is counted')
  t.match(stderr, /\[WAFLOG_(DROP|CHANNEL_ERROR)\] WafLogWarning: waf-socket: channel "out" \(stdout:\): .*EPIPE/, 'and reported on stderr, though the app has no logger')
  t.equal(stats.sent + stats.dropped.closed, 2000)
  t.ok(invariantHolds(stats))
})
