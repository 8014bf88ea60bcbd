import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { waf, wafServerOptions } from '../../plugins/index.js'
import type { WafOptions } from '../../plugins/index.js'
import { tcpCollector } from '../helpers/collector.js'
import { rawRequest } from '../helpers/raw-http.js'

/**
 * The umbrella's own defaults, where they differ from the plugins': its forensic log writes the
 * "+" lines of one event-loop turn together (`immediate: 'turn'`), unless told otherwise.
 */

interface Calls { flush: number, flushSoon: number }

async function setup (t: Test, forensic?: WafOptions['forensic']): Promise<{ app: FastifyInstance, port: number, calls: Calls, lines: () => string[], release: () => void }> {
  const collector = await tcpCollector()
  const app = Fastify({ ...wafServerOptions() })
  await app.register(waf, {
    transport: { channels: { forensic: { url: collector.url, flushInterval: 60000 }, access: 'file:///dev/null', heart: 'file:///dev/null' } },
    rules: false,
    attack: false,
    ...(forensic === undefined ? {} : { forensic })
  })
  let release: () => void = () => {}
  const hold = new Promise<void>(resolve => { release = resolve })
  app.get('/', async () => 'ok')
  app.get('/held', async () => { await hold; return 'held' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { release(); await app.close(); await collector.close() })
  // Count how the forensic log asks its channel to write.
  const ch = app.wafTransport.channel('forensic')
  const calls: Calls = { flush: 0, flushSoon: 0 }
  const flush = ch.flush.bind(ch)
  const flushSoon = ch.flushSoon?.bind(ch)
  ch.flush = () => { calls.flush++; flush() }
  ch.flushSoon = () => { calls.flushSoon++; flushSoon?.() }
  const addr = app.server.address()
  return { app, port: typeof addr === 'object' && addr !== null ? addr.port : 0, calls, lines: () => collector.lines(), release }
}

async function until (cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) return false
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  return true
}

t.test('the umbrella writes "+" lines once per event-loop turn, before the request is answered', async t => {
  const { port, calls, lines, release } = await setup(t)
  const held = rawRequest(port, 'GET /held HTTP/1.1\r\nHost: h\r\n\r\n')
  t.ok(await until(() => lines().some(l => l.startsWith('+') && l.includes('|GET /held HTTP/1.1|'))), 'the "+" line arrived while the handler still waits')
  release()
  t.equal((await held).status, 200)
  t.equal(calls.flushSoon, 1)
  t.equal(calls.flush, 0)
})

t.test('forensic.immediate: true writes each "+" line at once', async t => {
  const { port, calls } = await setup(t, { immediate: true })
  await rawRequest(port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n')
  t.equal(calls.flush, 1)
  t.equal(calls.flushSoon, 0)
})
