import t from 'tap'
import net from 'node:net'
import { SocketTransport } from '../../../lib/transport/transport.js'
import { makeCerts } from '../../helpers/certs.js'
import { tcpCollector, tlsCollector } from '../../helpers/collector.js'
import { invariantHolds, lineOf, seqs } from './invariant.js'

/**
 * `noDelay`: Nagle's algorithm stays on unless a channel asks for TCP_NODELAY. Node has no getter
 * for the socket option, so the calls that set it are recorded: every collector socket of this
 * process goes through `net.Socket.prototype.setNoDelay` (TLS sockets included).
 */
const calls: boolean[] = []
const original = net.Socket.prototype.setNoDelay
net.Socket.prototype.setNoDelay = function (this: net.Socket, noDelay?: boolean) {
  calls.push(noDelay === true)
  return original.call(this, noDelay)
}
t.teardown(() => { net.Socket.prototype.setNoDelay = original })

const certs = await makeCerts()
t.teardown(() => certs.cleanup())

const fast = { flushInterval: 10, retry: { initialDelay: 10, maxDelay: 50 } }
const turnEnd = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

t.test('TCP: Nagle on by default, TCP_NODELAY with noDelay: true (own or from defaults)', async t => {
  for (const [what, own, defaults, want] of [
    ['default', {}, {}, false],
    ['noDelay: true', { noDelay: true }, {}, true],
    ['noDelay: false', { noDelay: false }, {}, false],
    ['defaults.noDelay', {}, { noDelay: true }, true]
  ] as const) {
    const c = await tcpCollector()
    calls.length = 0
    const tr = new SocketTransport({ channels: { a: { url: c.url, ...own, ...fast } }, defaults })
    tr.channel('a').log(what)
    tr.channel('a').flush()
    await c.waitForLines(1)
    await tr.close(1000)
    await c.close()
    t.same(calls, [want], what)
  }
})

t.test('TLS: the same option reaches the TLS socket', async t => {
  for (const noDelay of [false, true]) {
    const c = await tlsCollector({ tls: { key: certs.serverKey, cert: certs.serverCert } })
    calls.length = 0
    const tr = new SocketTransport({ channels: { a: { url: c.url, tls: { ca: certs.ca }, noDelay, ...fast } } })
    tr.channel('a').log('x')
    tr.channel('a').flush()
    await c.waitForLines(1)
    await tr.close(1000)
    await c.close()
    t.same(calls, [noDelay], `noDelay: ${String(noDelay)}`)
  }
})

t.test('channels that differ in noDelay do not share a connection', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { a: { url: c.url, ...fast }, b: { url: c.url, noDelay: true, ...fast } } })
  tr.channel('a').log('a')
  tr.channel('b').log('b')
  await c.waitForLines(2)
  t.equal(c.connections, 2)
  await tr.close(1000)
})

t.test('with Nagle on, one write per event-loop turn still delivers every line, in order', async t => {
  const c = await tcpCollector()
  t.teardown(() => c.close())
  const tr = new SocketTransport({ channels: { forensic: { url: c.url, ...fast }, access: { url: c.url, ...fast } } })
  const forensic = tr.channel('forensic')
  const access = tr.channel('access')
  const n = 3000
  for (let i = 0; i < n; i++) {
    forensic.log(lineOf(2 * i))
    forensic.flushSoon?.()
    access.log(lineOf(2 * i + 1))
    await turnEnd()
  }
  const got = await c.waitForLines(2 * n)
  // Order holds per channel (channels sharing a connection take turns starting a write).
  const all = seqs(got)
  t.same(all.filter(i => i % 2 === 0), Array.from({ length: n }, (_, i) => 2 * i), 'forensic: every line, in order')
  t.same(all.filter(i => i % 2 === 1), Array.from({ length: n }, (_, i) => 2 * i + 1), 'access: every line, in order')
  const final = await tr.close(1000)
  t.equal(final.forensic.sent + final.access.sent, 2 * n)
  t.ok(invariantHolds(final.forensic) && invariantHolds(final.access))
})

t.test('noDelay is checked', async t => {
  t.throws(() => new SocketTransport({ channels: { a: { url: 'tcp://127.0.0.1:1', noDelay: 'yes' as unknown as boolean } } }),
    /channel "a": option "noDelay" must be true or false, got "yes"/)
  t.throws(() => new SocketTransport({ channels: { a: { url: 'udp://127.0.0.1:1', noDelay: true } } }),
    /channel "a": option "noDelay" applies to tcp: tls: channels only, not to udp:/)
  t.throws(() => new SocketTransport({ channels: { a: { url: 'unix:///tmp/x.sock', noDelay: true } } }),
    /option "noDelay" applies to tcp: tls: channels only, not to unix:/)
})
