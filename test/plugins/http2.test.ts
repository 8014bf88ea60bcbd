import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { waf, wafServerOptions } from '../../plugins/index.js'
import { tcpCollector } from '../helpers/collector.js'
import type { Collector } from '../helpers/collector.js'

/**
 * HTTP/2 (h2c) requests through every waf log and the rule check, with Node's own http2 client:
 * the domain comes from `:authority` (there is no Host header), so the per-domain policy applies;
 * the client address is the session's, in the access and attack records; the headers logged are
 * the request's, without pseudo-headers, with Host from `:authority` as httpd's mod_http2 sets it.
 */

interface Setup { app: FastifyInstance, port: number, forensic: Collector, access: Collector, attack: Collector }

async function setup (t: Test, accessFormat: string): Promise<Setup> {
  const [forensic, access, attack] = await Promise.all([tcpCollector(), tcpCollector(), tcpCollector()])
  // Fastify types its HTTP/2 instance apart; the plugins read requests of both alike.
  const app = Fastify({ http2: true, ...wafServerOptions() } as FastifyServerOptions) as unknown as FastifyInstance
  await app.register(waf, {
    transport: {
      channels: {
        forensic: { url: forensic.url, flushInterval: 20 },
        access: { url: access.url, flushInterval: 20 },
        attack: { url: attack.url, flushInterval: 20 },
        heart: 'file:///dev/null'
      }
    },
    access: { format: accessFormat },
    heartbeat: { interval: 60_000 },
    rules: { policies: { 'detect.example': { mode: 'detect' } } }
  })
  app.all('/*', async request => ({ url: request.url }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => {
    await app.close()
    await Promise.all([forensic.close(), access.close(), attack.close()])
  })
  return { app, port: (app.server.address() as AddressInfo).port, forensic, access, attack }
}

/** One HTTP/2 request over its own session, to `authority`; resolves the status and body. */
function h2 (port: number, authority: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`)
    session.on('error', reject)
    const req = session.request({ ':path': path, ':authority': authority, ':method': body === undefined ? 'GET' : 'POST', ...headers })
    let status = 0
    let text = ''
    req.on('response', h => { status = Number(h[':status']) })
    req.setEncoding('utf8').on('data', (d: string) => { text += d })
    req.on('end', () => { session.close(); resolve({ status, body: text }) })
    req.on('error', reject)
    req.end(body)
  })
}

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

t.test('HTTP/2 through the forensic, access (JSON) and attack logs, with a per-domain detect policy', async t => {
  const s = await setup(t, 'json')
  const ok = await h2(s.port, 'detect.example:443', '/ok?id=1', { 'x-custom': 'v' })
  t.equal(ok.status, 200)
  const xss = '/?q=%3Cscript%3Ealert(1)%3C/script%3E'
  t.equal((await h2(s.port, 'detect.example', xss)).status, 200, 'a domain in detect mode is not blocked over HTTP/2')
  t.equal((await h2(s.port, 'shop.example', xss)).status, 403, 'a domain in block mode is')
  const posted = await h2(s.port, 'shop.example', '/form', { 'content-type': 'application/x-www-form-urlencoded' }, 'note=1%27%20union%20select%20password%20from%20users--')
  t.equal(posted.status, 403, 'a body attack over HTTP/2 is denied')

  const plus = (await s.forensic.waitForLines(8)).filter(l => l.startsWith('+'))
  t.equal(plus.length, 4)
  t.match(plus[0], /^\+[^|]+\|GET \/ok\?id=1 HTTP\/2\.0\|/, 'the forensic request line says HTTP/2.0, as httpd writes it')
  t.notMatch(plus[0], /\|:/, 'no pseudo-header in the forensic line')
  t.match(plus[0], /\|x-custom:v(\||$)/)
  t.match(plus[0], /\|host:detect\.example%3a443(\||$)/, 'Host from :authority, as mod_http2 sets it')

  const records = (await s.access.waitForLines(4)).map(l => JSON.parse(l) as Json)
  const first = records.find(r => r.request.uri === '/ok?id=1') as Json
  t.equal(first.host, 'detect.example', 'the domain comes from :authority')
  t.equal(first.client_ip, '127.0.0.1', 'the client address is the session socket\'s')
  t.ok(first.client_port > 0)
  t.equal(first.request.http_version, '2.0')
  t.same(Object.keys(first.request.headers).filter(k => k.startsWith(':')), [], 'no pseudo-header in the access record')
  t.equal(first.request.headers.host, 'detect.example:443')
  t.equal(first.waf.mode, 'detect')
  t.equal(first.response.headers['content-type'], 'application/json; charset=utf-8', 'the response headers are read')
  t.notOk(':status' in first.response.headers)
  t.ok(first.request.size > 0 && first.response.size > 0, 'sizes are counted')
  const detected = records.find(r => r.host === 'detect.example' && r.request.uri === xss) as Json
  t.equal(detected.waf.action, 'log')
  t.equal(detected.response.status, 200)

  const attacks = (await s.attack.waitForLines(3)).map(l => JSON.parse(l) as Json)
  t.same(attacks.map(a => [a.host, a.action]).sort(), [['detect.example', 'log'], ['shop.example', 'deny'], ['shop.example', 'deny']])
  for (const a of attacks) {
    t.equal(a.client_ip, '127.0.0.1')
    t.same(Object.keys(a.request.headers).filter(k => k.startsWith(':')), [])
    t.notOk(a.attacks.some((e: Json) => e.rule_id === '100803'), 'no "request without a Host header" over HTTP/2')
  }
  const snap = s.app.wafHeartbeat.snapshot() as Json
  t.ok(JSON.stringify(snap).includes('detect.example'), 'the heartbeat counts the domain from :authority')
})

t.test('HTTP/2 through an nginx log_format line', async t => {
  const s = await setup(t, '$remote_addr $host "$request" $status $server_protocol "$http_host" "$http_x_custom" $request_length $connection $connection_requests $pipe')
  t.equal((await h2(s.port, 'shop.example:8443', '/a?b=c', { 'x-custom': 'v' })).status, 200)
  // Two streams of one session, at once: one connection, counted in order, never pipelined.
  const session = http2.connect(`http://127.0.0.1:${s.port}`)
  t.teardown(() => session.destroy())
  const one = (path: string): Promise<void> => new Promise((resolve, reject) => {
    const req = session.request({ ':path': path, ':authority': 'shop.example' })
    req.resume()
    req.on('end', resolve)
    req.on('error', reject)
    req.end()
  })
  await Promise.all([one('/s1'), one('/s2')])
  session.close()
  const lines = await s.access.waitForLines(3)
  t.match(lines[0], /^127\.0\.0\.1 shop\.example "GET \/a\?b=c HTTP\/2\.0" 200 HTTP\/2\.0 "shop\.example:8443" "v" \d+ \d+ 1 \.$/)
  const tail = lines.slice(1).map(l => l.split(' ').slice(-3))
  t.equal(tail[0][0], tail[1][0], 'the same $connection for both streams')
  t.not(tail[0][0], '0')
  t.same(tail.map(f => f[1]).sort(), ['1', '2'], '$connection_requests counts the streams')
  t.same(tail.map(f => f[2]), ['.', '.'], '$pipe: never pipelined')
})
