import t from 'tap'
import { SocketTransport } from '../../../lib/transport/transport.js'
import { makeCerts } from '../../helpers/certs.js'
import { tlsCollector } from '../../helpers/collector.js'
import { invariantHolds, lineOf, seqs } from './invariant.js'

const fast = { flushInterval: 10, retry: { initialDelay: 10, maxDelay: 50 } }
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

const certs = await makeCerts()
t.teardown(() => certs.cleanup())

async function until (what: string, test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

t.test('TLS with a certificate made at test time: lines arrive byte-exact', async t => {
  const c = await tlsCollector({ tls: { key: certs.serverKey, cert: certs.serverCert } })
  t.teardown(() => c.close())
  t.match(c.url, /^tls:\/\/127\.0\.0\.1:\d+$/)
  const tr = new SocketTransport({ channels: { attack: { url: c.url, tls: { ca: certs.ca }, ...fast } } })
  const lines = ['{"a":"ünï ☃"}', ...Array.from({ length: 2000 }, (_, i) => lineOf(i))]
  for (const l of lines) tr.channel('attack').log(l)
  await c.waitForLines(lines.length)
  t.same(c.bytes(), Buffer.from(lines.join('\n') + '\n'))
  const s = await tr.close(1000)
  t.equal(s.attack.sent, lines.length)
  t.ok(invariantHolds(s.attack))
})

t.test('the wrong CA fails, and no line reaches the untrusted server', async t => {
  const c = await tlsCollector({ tls: { key: certs.serverKey, cert: certs.serverCert } })
  t.teardown(() => c.close())
  for (const tls of [{ ca: certs.otherCa }, true] as const) {
    const tr = new SocketTransport({ channels: { a: { url: c.url, tls, ...fast } } })
    const ch = tr.channel('a')
    for (let i = 0; i < 10; i++) ch.log(lineOf(i))
    ch.flush()
    await until('a verification error', () => ch.stats().errors >= 2)
    const s = await tr.close(100)
    t.equal(s.a.sent, 0, `nothing sent with tls ${JSON.stringify(tls === true ? true : 'other CA')}`)
    t.equal(s.a.dropped.closed, 10)
    t.ok(invariantHolds(s.a))
  }
  t.equal(c.lineCount, 0, 'the server received no line')
  t.equal(c.bytes().length, 0, 'not a byte of application data')
  t.equal(c.connections, 0, 'no TLS session was ever established')
})

t.test('servername plays tls_sni: the certificate is checked against it, not the IP', async t => {
  const c = await tlsCollector({ tls: { key: certs.sniKey, cert: certs.sniCert } })
  t.teardown(() => c.close())
  const bad = new SocketTransport({ channels: { a: { url: c.url, tls: { ca: certs.ca }, ...fast } } })
  bad.channel('a').log('nope')
  bad.channel('a').flush()
  await until('the name mismatch', () => bad.channel('a').stats().errors >= 1)
  await bad.close(50)
  t.equal(c.lineCount, 0, 'a certificate for collector.example does not pass for 127.0.0.1')
  // tcp:// with tls options is TLS too, as Kong's tcp-log with tls=true.
  const good = new SocketTransport({ channels: { a: { url: `tcp://127.0.0.1:${c.port}`, tls: { ca: certs.ca, servername: 'collector.example' }, ...fast } } })
  good.channel('a').log('yes')
  t.same(await c.waitForLines(1), ['yes'])
  await good.close(500)
})

t.test('client certificates (cert/key) for a collector that requires them', async t => {
  const c = await tlsCollector({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true, rejectUnauthorized: true } })
  t.teardown(() => c.close())
  const anon = new SocketTransport({ channels: { a: { url: c.url, tls: { ca: certs.ca }, ...fast } } })
  anon.channel('a').log('anonymous')
  anon.channel('a').flush()
  await until('the refusal', () => anon.channel('a').stats().errors >= 1)
  const s = await anon.close(50)
  // Under TLS 1.3 the client learns of the refusal only after its first write: at-most-once.
  t.ok(invariantHolds(s.a), 'counters stay consistent')
  const tr = new SocketTransport({ channels: { a: { url: c.url, tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }, ...fast } } })
  tr.channel('a').log('authenticated')
  const got = await c.waitForLines(1)
  t.same(got.filter(l => l === 'authenticated'), ['authenticated'])
  t.notOk(got.includes('anonymous'), 'the client without a certificate got nothing through')
  await tr.close(500)
})

t.test('verification is off only when asked for', async t => {
  const c = await tlsCollector({ tls: { key: certs.serverKey, cert: certs.serverCert } })
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, tls: { rejectUnauthorized: false }, ...fast } } })
  tr.channel('a').log('unverified')
  t.same(await c.waitForLines(1), ['unverified'])
  await tr.close(500)
})

t.test('TLS collector restarted gracefully: nothing lost, order kept', async t => {
  const c = await tlsCollector({ tls: { key: certs.serverKey, cert: certs.serverCert } })
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, tls: { ca: certs.ca }, ...fast } } })
  const ch = tr.channel('a')
  for (let i = 0; i < 3000; i++) ch.log(lineOf(i))
  await c.waitForLines(3000)
  await c.stop()
  for (let i = 3000; i < 6000; i++) ch.log(lineOf(i))
  await sleep(50)
  await c.restart()
  const got = await c.waitForLines(6000)
  t.same(seqs(got), Array.from({ length: 6000 }, (_, i) => i))
  const s = await tr.close(500)
  t.ok(s.a.reconnects >= 1)
  t.ok(invariantHolds(s.a))
})
