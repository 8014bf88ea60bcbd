import t from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { wafSocket } from '../../plugins/socket.js'
import { wafForensic } from '../../plugins/forensic.js'
import { wafServerOptions } from '../../plugins/core.js'
import { tcpCollector } from '../helpers/collector.js'
import type { Collector } from '../helpers/collector.js'
import { apacheMissing, maskIds, sendRaw, startApache } from '../helpers/apache.js'
import type { Apache } from '../helpers/apache.js'

/**
 * Conformance with Apache httpd's mod_log_forensic: the same raw requests go to httpd and to a
 * Fastify app with wafForensic, and the "+" lines must be the same bytes, ids masked.
 */

const missing = apacheMissing()
if (missing !== undefined) t.plan(0, `skipped: ${missing}`)
else conformance()

const many = Array.from({ length: 90 }, (_, i) => `X-Many-${i}: v${i}\r\n`).join('')
const long = 'L'.repeat(8000)
const body = 'a=1&b=%7C|:%\r\n\x00\xff'

/** name → raw request bytes (latin1). Every one of these is logged by both servers. */
const CASES: Array<[string, string]> = [
  ['plain GET', 'GET / HTTP/1.1\r\nHost: example.test\r\nUser-Agent: conformance/1\r\nAccept: */*\r\n\r\n'],
  ['pipes, colons and percent signs in target and headers', 'GET /a|b:c?x=%41|y:z%25 HTTP/1.1\r\nHost: h:8080\r\nX-Pipe: a|b||c\r\nX-Colon: a:b::c\r\nX-Pct: 100%25 %zz %\r\n\r\n'],
  ['tabs inside and around values', 'GET / HTTP/1.1\r\nHost: h\r\nX-Tab: a\tb\t\tc\r\nX-Lead:\t \tlead\r\nX-Trail: trail \t \r\n\r\n'],
  ['UTF-8 and bytes >= 0x80 in header values', 'GET / HTTP/1.1\r\nHost: h\r\nX-Utf8: \xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\r\nX-High: \x80\x9f\xa0\xfe\xff\r\n\r\n'],
  ['UTF-8 in the target (Node refuses it; logged from the raw bytes)', 'GET /caf\xc3\xa9?q=\xe6\x97\xa5 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n'],
  ['quotes and backslashes', 'GET /"q"\'s\' HTTP/1.1\r\nHost: h\r\nX-Quote: "double" \'single\' `back` \\slash\\\r\n\r\n'],
  ['empty values', 'GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Blank:    \r\nX-After: x\r\n\r\n'],
  ['a long header', `GET / HTTP/1.1\r\nHost: h\r\nX-Long: ${long}\r\n\r\n`],
  ['many headers', `GET / HTTP/1.1\r\nHost: h\r\n${many}\r\n`],
  ['duplicate headers merged at the first occurrence', 'GET / HTTP/1.1\r\nHost: h\r\nX-Dup: 1\r\nAccept: a\r\nx-dup: 2\r\nX-DUP: \r\nCookie: a=1\r\ncookie: b=2\r\nAccept: b\r\n\r\n'],
  ['header name case kept', 'GET / HTTP/1.1\r\nhOsT: h\r\nx-lower: 1\r\nX-UPPER: 2\r\nX-MiXeD: 3\r\n\r\n'],
  ['HTTP/1.0 without headers', 'GET /old HTTP/1.0\r\n\r\n'],
  ['HTTP/1.0 with headers', 'HEAD /old?x HTTP/1.0\r\nUser-Agent: old\r\n\r\n'],
  ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n'],
  ['POST with a body', `POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`],
  ['chunked POST', 'POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ['a malformed URL escape (Fastify answers 400 before hooks)', 'GET /%zz/%e9 HTTP/1.1\r\nHost: h\r\n\r\n'],
  ['obsolete line folding (Node refuses it; logged from the raw bytes)', 'GET / HTTP/1.1\r\nHost: h\r\nX-Fold: a\r\n\tb\r\n  c\r\nX-Next: n\r\nX-Fold2: a \t\r\n \t b \r\n\r\n'],
  ['an unknown HTTP version (Node refuses it; logged from the raw bytes)', 'GET /v HTTP/1.2\r\nHost: h\r\n\r\n'],
  ['Authorization is logged as received by both (redact: [])', 'GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n']
]

async function startFastify (collector: Collector): Promise<FastifyInstance> {
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: { forensic: { url: collector.url, flushInterval: 10 } } })
  await app.register(wafForensic, { redact: [] })
  app.all('/*', async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

function portOf (app: FastifyInstance): number {
  const addr = app.server.address()
  return typeof addr === 'object' && addr !== null ? addr.port : 0
}

function conformance (): void {
  let apache: Apache
  let collector: Collector
  let app: FastifyInstance

  t.before(async () => {
    apache = await startApache()
    collector = await tcpCollector()
    app = await startFastify(collector)
  })
  t.teardown(async () => {
    await app?.close()
    await collector?.close()
    await apache?.stop()
  })

  t.test('"+" lines match httpd byte for byte', async t => {
    const ours: string[] = []
    const theirs: string[] = []
    for (const [name, req] of CASES) {
      const apacheBefore = apache.readForensic().split('\n').filter(l => l.startsWith('+')).length
      const oursBefore = collector.lines().filter(l => l.startsWith('+')).length
      const a = await sendRaw(apache.port, req)
      const o = await sendRaw(portOf(app), req)
      const aLines = (await apache.waitForLines(0)).filter(l => l.startsWith('+'))
      await waitUntil(() => collector.lines().filter(l => l.startsWith('+')).length > oursBefore, 3000)
      await waitUntil(() => apache.readForensic().split('\n').filter(l => l.startsWith('+')).length > apacheBefore, 3000)
      const theirLine = apache.readForensic().split('\n').filter(l => l.startsWith('+'))[apacheBefore]
      const ourLine = collector.lines().filter(l => l.startsWith('+'))[oursBefore]
      t.ok(a.startsWith('HTTP/1.1 '), `${name}: httpd answered (${a.slice(0, 12)})`)
      t.ok(o.startsWith('HTTP/1.1 '), `${name}: fastify answered (${o.slice(0, 12)})`)
      t.equal(maskIds([ourLine ?? '(none)'])[0], maskIds([theirLine ?? '(none)'])[0], name)
      void aLines
      ours.push(ourLine)
      theirs.push(theirLine)
    }
    t.equal(ours.length, CASES.length)
  })

  t.test('every request that got a "+" line gets its "-" line, on both', async t => {
    const apacheLines = await apache.waitForLines(CASES.length * 2)
    await collector.waitForLines(CASES.length * 2, 3000)
    for (const [who, lines] of [['httpd', apacheLines], ['fastify', collector.lines()]] as const) {
      const plus = lines.filter(l => l.startsWith('+')).map(l => l.slice(1, l.indexOf('|')))
      const minus = lines.filter(l => l.startsWith('-')).map(l => l.slice(1))
      t.same(minus.slice().sort(), plus.slice().sort(), `${who}: one "-" per "+"`)
    }
  })

  t.test('documented differences from httpd', async t => {
    // An absolute-form target: httpd replaces the Host header with the target's host before it
    // logs (RFC 9112 3.2.2); the forensic plugin logs the Host the client sent.
    const req = 'GET http://target.test/x HTTP/1.1\r\nHost: sent.test\r\n\r\n'
    const aBefore = apache.readForensic().split('\n').filter(l => l.startsWith('+')).length
    const oBefore = collector.lines().filter(l => l.startsWith('+')).length
    await sendRaw(apache.port, req)
    await sendRaw(portOf(app), req)
    await waitUntil(() => collector.lines().filter(l => l.startsWith('+')).length > oBefore, 3000)
    await waitUntil(() => apache.readForensic().split('\n').filter(l => l.startsWith('+')).length > aBefore, 3000)
    const theirs = maskIds([apache.readForensic().split('\n').filter(l => l.startsWith('+'))[aBefore]])[0]
    const ours = maskIds([collector.lines().filter(l => l.startsWith('+'))[oBefore]])[0]
    t.equal(theirs, '+ID|GET http%3a//target.test/x HTTP/1.1|Host:target.test')
    t.equal(ours, '+ID|GET http%3a//target.test/x HTTP/1.1|Host:sent.test')
  })
}

async function waitUntil (cond: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!cond() && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 10))
}
