import t from 'tap'
import { spawn } from 'node:child_process'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { udpCollector } from '../helpers/collector.js'
import type { HeartbeatRecord } from '../../plugins/heartbeat.js'

const fixture = fileURLToPath(new URL('../fixtures/cluster-heartbeat.ts', import.meta.url))

t.test('two node:cluster workers report their own wid to one UDP collector', async t => {
  const c = await udpCollector()
  t.teardown(() => c.close())
  // The child runs TypeScript with the loader this test runs under; cluster workers inherit it.
  const child = spawn(process.execPath, [...process.execArgv, fixture, c.url, '2'], { stdio: ['pipe', 'pipe', 'inherit'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const ready = await new Promise<{ port: number, ports: number, workers: number[] }>((resolve, reject) => {
    let out = ''
    // Each worker compiles the plugins' TypeScript as it starts: slow on a busy 2-core machine.
    const timer = setTimeout(() => reject(new Error(`cluster not listening within 60 s: ${out}`)), 60_000)
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl !== -1) {
        clearTimeout(timer)
        resolve(JSON.parse(out.slice(0, nl)))
      }
    })
    child.once('exit', code => reject(new Error(`cluster exited with ${code}: ${out}`)))
  })
  t.equal(ready.ports, 1, 'the workers share one port')
  t.same(ready.workers.sort(), [1, 2])

  // New connections are handed to the workers round-robin, so both see traffic.
  const answeredBy = new Map<number, number>()
  const N = 40
  for (let i = 0; i < N; i++) {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: ready.port, path: '/', headers: { host: 'cluster.example', connection: 'close' }, agent: false }, res => {
        let s = ''
        res.on('data', (d: Buffer) => { s += d.toString() })
        res.on('end', () => resolve(s))
      })
      req.on('error', reject)
    })
    const w = (JSON.parse(body) as { worker: number }).worker
    answeredBy.set(w, (answeredBy.get(w) ?? 0) + 1)
  }
  t.equal(answeredBy.size, 2, 'both workers answered')

  // Reports every 200 ms from each worker; wait until the counts add up to every request.
  const deadline = Date.now() + 10_000
  let byWid = new Map<number, number>()
  let wids = new Set<number>()
  while (Date.now() < deadline) {
    const recs = c.lines().map(l => JSON.parse(l) as HeartbeatRecord)
    wids = new Set(recs.map(r => r.wid))
    byWid = new Map()
    for (const r of recs) byWid.set(r.wid, (byWid.get(r.wid) ?? 0) + (r.domains['cluster.example']?.ac ?? 0))
    if ([...byWid.values()].reduce((a, b) => a + b, 0) >= N && wids.size >= 2) break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  t.same([...wids].sort(), [1, 2], 'two wids at one collector')
  for (const [wid, n] of answeredBy) t.equal(byWid.get(wid), n, `worker ${wid} reported exactly the ${n} requests it answered`)
  child.stdin.end()
  await new Promise(resolve => child.once('exit', resolve))
})
