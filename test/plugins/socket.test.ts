import t from 'tap'
import Fastify from 'fastify'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { wafSocket } from '../../plugins/socket.js'
import { tcpCollector } from '../helpers/collector.js'

t.test('registers the transport, the core and drains on close', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const dir = t.testdir()
  const file = path.join(dir, 'forensic.log')
  const app = Fastify()
  await app.register(wafSocket, { channels: { access: { url: c.url, flushInterval: 60000 }, forensic: `file://${file}` } })
  await app.ready()
  t.same(app.wafTransport.names(), ['access', 'forensic'])
  t.equal(typeof app.wafLog.addFilter, 'function', 'wafLog is installed by waf-socket')
  t.ok(app.hasRequestDecorator('waf'), 'request.waf is declared by the core')
  app.wafTransport.channel('access').log('{"n":1}')
  app.wafTransport.channel('forensic').log('+abc|GET / HTTP/1.1')
  t.equal(app.wafTransport.stats().access.sent, 0, 'still queued (long flush interval)')
  await app.close()
  t.same(await c.waitForLines(1), ['{"n":1}'], 'onClose drained the TCP channel')
  t.equal(await readFile(file, 'utf8'), '+abc|GET / HTTP/1.1\n', 'and the file channel')
  t.equal(app.wafTransport.stats().access.sent, 1)
})

t.test('open() makes a channel on demand with the defaults', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const app = Fastify()
  await app.register(wafSocket, { channels: {}, defaults: { flushInterval: 10 } })
  const ch = app.wafTransport.open('per-domain', c.url)
  t.equal(app.wafTransport.open('per-domain', c.url), ch, 'the same channel on the next call')
  t.ok(app.wafTransport.has('per-domain'))
  ch.log('x')
  t.same(await c.waitForLines(1), ['x'], 'flushed by the default flushInterval')
  await app.close()
})

t.test('invalid options fail at register time, naming the channel and the option', async t => {
  const cases: Array<[unknown, RegExp]> = [
    [{}, /option "channels" must be an object/],
    [{ channels: { a: 'http://x:1' } }, /channel "a": option "url" must start with tcp:\/\/, tls:\/\//],
    [{ channels: { a: 'tcp://127.0.0.1' } }, /channel "a": option "url" needs a port/],
    [{ channels: { a: 'tcp://:99' } }, /channel "a": option "url"/],
    [{ channels: { a: 'tcp://127.0.0.1:1/path' } }, /channel "a": option "url" must be tcp:\/\/host:port/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', flushLimit: -1 } } }, /channel "a": option "flushLimit" must be a whole number of bytes/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', flushLimit: 9000, dropLimit: 8000 } } }, /channel "a": option "flushLimit" must not exceed dropLimit/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', flushInterval: 0 } } }, /option "flushInterval"/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', dropLimit: 1.5 } } }, /option "dropLimit"/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', timeout: '10s' } } }, /channel "a": option "timeout" must be a whole number of ms/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', keepalive: -5 } } }, /option "keepalive"/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', retry: { factor: 0.5 } } } }, /channel "a": option "retry.factor"/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', retry: { jitter: 2 } } } }, /option "retry.jitter"/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', retry: { initialDelay: 500, maxDelay: 100 } } } }, /option "retry.maxDelay" must be >= retry.initialDelay/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', retry: { tries: 3 } } } }, /option "retry.tries" is not an option/],
    [{ channels: { a: { url: 'tls://127.0.0.1:1', tls: { servername: '' } } } }, /option "tls.servername"/],
    [{ channels: { a: { url: 'tls://127.0.0.1:1', tls: { cert: 'x' } } } }, /option "tls.key" must be given together with "tls.cert"/],
    [{ channels: { a: { url: 'tls://127.0.0.1:1', tls: { rejectUnauthorized: 'no' } } } }, /option "tls.rejectUnauthorized"/],
    [{ channels: { a: { url: 'tls://127.0.0.1:1', tls: false } } }, /option "tls" cannot be false on a tls:\/\/ channel/],
    [{ channels: { a: { url: 'udp://127.0.0.1:1', tls: true } } }, /channel "a": option "tls" applies to tcp: tls: channels only/],
    [{ channels: { a: { url: 'udp://127.0.0.1:1', maxDatagram: 70000 } } }, /channel "a": option "maxDatagram" must be a whole number of bytes from 2 to 65527/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', maxDatagram: 512 } } }, /option "maxDatagram" applies to udp: channels only/],
    [{ channels: { a: { url: 'file:///tmp/x.log', gzip: 10 } } }, /channel "a": option "gzip" must be a whole number of levels/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', gzip: 6 } } }, /option "gzip" applies to file: channels only/],
    [{ channels: { a: { url: 'file:///tmp/x.log', rotate: {} } } }, /option "rotate" needs "interval" \(ms\) or "size" \(bytes\)/],
    [{ channels: { a: { url: 'file:///tmp/x.log', rotate: { size: 0 } } } }, /option "rotate.size"/],
    [{ channels: { a: { url: 'file:///tmp/x.log', rotate: { interval: 10 } } } }, /option "rotate.interval"/],
    [{ channels: { a: { url: 'file:///tmp/', rotate: { size: 10 } } } }, /option "url" must name a file/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', lookup: 'dns' } } }, /option "lookup" must be a function/],
    [{ channels: { a: { url: 'tcp://127.0.0.1:1', flushlimit: 1 } } }, /channel "a": option "flushlimit" is not a channel option/],
    [{ channels: { a: 42 } }, /channel "a": option "url" must be given/],
    [{ channels: { a: 'stdout:x' } }, /option "url" must be exactly "stdout:"/],
    [{ channels: { a: 'file:///tmp/same.log', b: { url: 'file:///tmp/same.log', gzip: 1 } } }, /channel "b": options "gzip" and "rotate" must match those of channel "a"/],
    [{ channels: {}, defaults: { flushLimit: 'big' } }, /option "flushLimit" must be a whole number/],
    [{ channels: {}, defaults: { url: 'tcp://x:1' } }, /option "defaults" cannot hold a "url"/],
    [{ channels: {}, closeTimeout: -1 }, /option "closeTimeout" must be a whole number of ms/],
    [{ channels: {}, warnInterval: 'often' }, /option "warnInterval"/],
    [{ channels: {}, chanels: {} }, /option "chanels" is not an option/]
  ]
  for (const [opts, re] of cases) {
    const app = Fastify()
    await t.rejects(async () => { await app.register(wafSocket, opts as never).ready() }, re, JSON.stringify(opts))
  }
})

t.test('transport errors go to fastify.log.warn, once per channel per interval, with counts', async t => {
  const c = await tcpCollector()
  const port = c.port
  await c.stop()
  const warnings: Array<{ obj: Record<string, unknown>, msg: string }> = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (s: string) => { const o = JSON.parse(s) as Record<string, unknown>; warnings.push({ obj: o, msg: String(o.msg) }) } } } })
  await app.register(wafSocket, {
    warnInterval: 300,
    closeTimeout: 100,
    channels: { a: { url: `tcp://127.0.0.1:${port}`, flushInterval: 10, dropLimit: 100, retry: { initialDelay: 10, maxDelay: 20 } } }
  })
  const ch = app.wafTransport.channel('a')
  for (let i = 0; i < 20; i++) ch.log('0123456789')
  await new Promise(resolve => setTimeout(resolve, 450))
  const mine = warnings.filter(w => w.obj.channel === 'a')
  t.ok(mine.length >= 1 && mine.length <= 3, `rate limited (${mine.length} warnings in 450 ms with a 300 ms interval)`)
  t.ok(mine.every(w => /^waf-socket: channel "a" \(tcp:\/\/127\.0\.0\.1:\d+\): /.test(w.msg)), 'each names the channel and its URL')
  t.ok(mine.some(w => /\d+ error\(s\), last: .*ECONNREFUSED/.test(w.msg)), 'the refused connects are reported with the last error')
  t.equal(mine[0].obj.level, 40, 'warn level')
  const total = mine.reduce((n, w) => n + (w.obj.dropped as { overflow: number }).overflow, 0)
  t.ok(ch.stats().errors > mine.length, 'many errors, few warnings')
  t.ok(total > 0 && total <= ch.stats().dropped.overflow, 'the warnings carry the drop counts')
  await app.close()
})

t.test('a file channel that cannot be written fails the register, naming the channel and the path', async t => {
  const file = path.join(t.testdir(), 'no-such-dir', 'forensic.log')
  const app = Fastify()
  await t.rejects(async () => { await app.register(wafSocket, { channels: { forensic: `file://${file}` } }).ready() },
    new RegExp(`waf-socket: channel "forensic" cannot write file://${file}: the directory ${path.dirname(file)} does not exist`))
})

/** The WafLogWarning process warnings emitted while `run` runs. */
async function processWarnings (run: () => Promise<void>): Promise<Array<Error & { code?: string }>> {
  const seen: Array<Error & { code?: string }> = []
  const listener = (w: Error): void => { if (w.name === 'WafLogWarning') seen.push(w) }
  process.on('warning', listener)
  try {
    await run()
    await new Promise(resolve => setImmediate(resolve))
  } finally {
    process.off('warning', listener)
  }
  return seen
}

t.test('with Fastify\'s logger off (its default) or above warn, warnings are process warnings', async t => {
  const c = await tcpCollector()
  const port = c.port
  await c.stop()
  for (const logger of [undefined, { level: 'error' }, { level: 'silent' }]) {
    const warnings = await processWarnings(async () => {
      const app = Fastify(logger === undefined ? {} : { logger })
      await app.register(wafSocket, { closeTimeout: 50, channels: { a: { url: `tcp://127.0.0.1:${port}`, flushInterval: 10, timeout: 200, retry: { initialDelay: 10, maxDelay: 20 } } } })
      app.wafTransport.channel('a').log('lost?')
      await new Promise(resolve => setTimeout(resolve, 150))
      await app.close()
    })
    const label = logger === undefined ? 'no logger' : `level ${logger.level}`
    t.ok(warnings.length >= 1, `${label}: reported (${warnings.length})`)
    t.ok(warnings.every(w => /^waf-socket: channel "a" \(tcp:\/\/127\.0\.0\.1:\d+\): /.test(w.message)), `${label}: naming the channel`)
    t.ok(warnings.some(w => w.code === 'WAFLOG_CHANNEL_ERROR' && /ECONNREFUSED/.test(w.message)), `${label}: the collector that cannot be reached`)
    t.ok(warnings.some(w => w.code === 'WAFLOG_DROP'), `${label}: the line dropped at close`)
  }
})

t.test('with a logger at warn, the logger gets them and the process none; onWarning takes them from both', async t => {
  const c = await tcpCollector()
  const port = c.port
  await c.stop()
  const logged: string[] = []
  const mine: string[] = []
  const warnings = await processWarnings(async () => {
    const app = Fastify({ logger: { level: 'warn', stream: { write: (s: string) => { logged.push(String((JSON.parse(s) as { msg: unknown }).msg)) } } } })
    await app.register(wafSocket, { closeTimeout: 50, channels: { a: { url: `tcp://127.0.0.1:${port}`, flushInterval: 10, retry: { initialDelay: 10, maxDelay: 20 } } } })
    app.wafTransport.channel('a').log('x')
    await new Promise(resolve => setTimeout(resolve, 100))
    await app.close()
    const other = Fastify({ logger: { level: 'warn', stream: { write: (s: string) => { logged.push(String((JSON.parse(s) as { msg: unknown }).msg)) } } } })
    await other.register(wafSocket, { closeTimeout: 50, onWarning: w => { mine.push(w.code) }, channels: { b: { url: `tcp://127.0.0.1:${port}`, flushInterval: 10, retry: { initialDelay: 10, maxDelay: 20 } } } })
    other.wafTransport.channel('b').log('y')
    await new Promise(resolve => setTimeout(resolve, 100))
    await other.close()
  })
  t.ok(logged.some(m => m.startsWith('waf-socket: channel "a"')), 'the logger has channel a')
  t.notOk(logged.some(m => m.startsWith('waf-socket: channel "b"')), 'not channel b, whose warnings go to onWarning')
  t.ok(mine.includes('WAFLOG_CHANNEL_ERROR') && mine.includes('WAFLOG_DROP'), `onWarning has b's: ${mine.join(', ')}`)
  t.same(warnings.map(w => w.message), [], 'no process warning')
})
