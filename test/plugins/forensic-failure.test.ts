import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { wafSocket } from '../../plugins/socket.js'
import { wafForensic } from '../../plugins/forensic.js'
import type { WafForensicOptions } from '../../plugins/forensic.js'
import { tcpCollector } from '../helpers/collector.js'
import { freePort } from '../helpers/apache.js'
import { rawRequest } from '../helpers/raw-http.js'
import { transpileEntry } from '../bin/fixtures/transpile.js'

/**
 * onWriteFailure against channels that really fail: a TCP collector that is down, whose queue
 * fills up to a small dropLimit, and a file channel whose path cannot be created.
 */

const GET = 'GET / HTTP/1.1\r\nHost: h\r\n\r\n'

async function appOnDeadCollector (t: Test, port: number, opts: WafForensicOptions): Promise<{ app: FastifyInstance, handled: () => number }> {
  const app = Fastify()
  await app.register(wafSocket, {
    channels: { forensic: { url: `tcp://127.0.0.1:${port}`, dropLimit: 300, flushLimit: 100, retry: { initialDelay: 20, maxDelay: 50, factor: 2, jitter: 0 } } },
    closeTimeout: 200
  })
  await app.register(wafForensic, opts)
  let handled = 0
  app.get('/', async () => {
    handled++
    return 'ok'
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { app, handled: () => handled }
}

function portOf (app: FastifyInstance): number {
  const addr = app.server.address()
  return typeof addr === 'object' && addr !== null ? addr.port : 0
}

t.test("'drop' counts the failures and serves every request", async t => {
  const { app, handled } = await appOnDeadCollector(t, await freePort(), { onWriteFailure: 'drop' })
  const statuses: number[] = []
  for (let i = 0; i < 20; i++) statuses.push((await rawRequest(portOf(app), GET)).status)
  t.same(new Set(statuses), new Set([200]))
  t.equal(handled(), 20)
  const s = app.wafForensic.stats()
  t.ok(s.failures > 0, `${s.failures} failures`)
  t.ok(s.plus < 20, `${s.plus} "+" lines queued before the queue was full`)
  t.equal(s.rejected, 0)
})

t.test("'reject' answers 503 without running the handler, and recovers with the collector", async t => {
  const port = await freePort()
  const { app, handled } = await appOnDeadCollector(t, port, { onWriteFailure: 'reject' })
  const statuses: number[] = []
  for (let i = 0; i < 20; i++) statuses.push((await rawRequest(portOf(app), GET)).status)
  const ok = statuses.filter(s => s === 200).length
  const rejected = statuses.filter(s => s === 503).length
  t.equal(ok + rejected, 20)
  t.ok(rejected > 0, `${rejected} rejected`)
  t.equal(handled(), ok, 'the handler ran only for requests whose "+" line was queued')
  t.equal(app.wafForensic.stats().rejected, rejected)
  const body = (await rawRequest(portOf(app), GET)).response
  t.match(body, /^HTTP\/1\.1 503 /)
  t.match(body, /"the forensic log cannot be written"/)

  // The collector comes up: the queue drains and requests pass again.
  const collector = await tcpCollector({ port })
  t.teardown(() => collector.close())
  await collector.waitForLines(1, 3000)
  let recovered = false
  for (let i = 0; i < 50 && !recovered; i++) {
    recovered = (await rawRequest(portOf(app), GET)).status === 200 && handled() > ok
    if (!recovered) await new Promise(resolve => setTimeout(resolve, 20))
  }
  t.ok(recovered, 'served again once the channel drains')
  // No "-" line was written for a request whose "+" failed.
  const lines = await collector.waitForLines(2, 3000)
  await new Promise(resolve => setTimeout(resolve, 100))
  const plusIds = new Set(collector.lines().filter(l => l.startsWith('+')).map(l => l.slice(1, l.indexOf('|'))))
  t.ok(collector.lines().filter(l => l.startsWith('-')).every(l => plusIds.has(l.slice(1))), 'every "-" has its "+"')
  t.ok(lines.length > 0)
})

t.test('a stream turned off is not a failure', async t => {
  const { app, handled } = await appOnDeadCollector(t, await freePort(), { onWriteFailure: 'reject' })
  app.wafLog.disableStream('forensic')
  for (let i = 0; i < 10; i++) t.equal((await rawRequest(portOf(app), GET)).status, 200)
  t.equal(handled(), 10)
  t.same(app.wafForensic.stats(), { plus: 0, minus: 0, failures: 0, rejected: 0 })
})

t.test("'exit' ends the process when a file channel cannot be written", async t => {
  const server = transpileEntry(fileURLToPath(new URL('../bin/fixtures/failing-server.ts', import.meta.url)))
  t.teardown(server.cleanup)
  // The folder is there at start (a start refuses a file it cannot write) and removed once the
  // server listens: the file can never be opened, its queue fills and overflows.
  const dir = t.testdir({ logs: {} })
  const child = spawn(process.execPath, [server.file, `file://${path.join(dir, 'logs', 'forensic.log')}`, JSON.stringify({ onWriteFailure: 'exit' })], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  const port = await new Promise<number>((resolve, reject) => {
    let err = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d
      const m = /port (\d+)/.exec(err)
      if (m !== null) resolve(Number(m[1]))
    })
    void exited.then(code => reject(new Error(`server exited ${String(code)} before listening: ${err}`)))
  })
  rmSync(path.join(dir, 'logs'), { recursive: true })
  const statuses: number[] = []
  for (let i = 0; i < 20; i++) {
    statuses.push((await rawRequest(port, GET).catch(() => ({ status: 0 }))).status)
    if (statuses[statuses.length - 1] !== 200) break
  }
  const code = await Promise.race([exited, new Promise<string>(resolve => setTimeout(() => resolve('still running'), 5000))])
  t.equal(code, 1, 'exit code 1')
  t.match(stdout, /"level":60.*waf-forensic: a forensic line could not be written; exiting/)
  t.equal(statuses[statuses.length - 1], 0, 'the request whose line failed got no response')
  t.ok(statuses.slice(0, -1).every(s => s === 200), `earlier requests were served: ${statuses.join(',')}`)
})
