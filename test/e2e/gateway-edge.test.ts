import t from 'tap'
import type { Test } from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startGateway } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'

/**
 * The gateway behind a load balancer and in front of an upstream that echoes what it receives:
 * the health endpoint (200, 503 while draining, never logged), X-Forwarded-For / -Proto / -Host /
 * X-Real-IP and preserveHost as the upstream sees them, the client IP with and without a trusted
 * proxy in the access log, the attack log and the rate-limit key, body limits (413, logged) and
 * the operator's deny answer for 403, 413, 429 and 502.
 */

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

interface Answer { status: number, headers: http.IncomingHttpHeaders, body: string }

function request (port: number, path: string, opts: { host?: string, method?: string, body?: string, chunked?: boolean, headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: opts.host ?? 'shop.example', ...opts.headers }
    if (opts.body !== undefined && opts.chunked !== true) headers['content-length'] = String(Buffer.byteLength(opts.body))
    if (opts.chunked === true) headers['transfer-encoding'] = 'chunked'
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers, agent: false }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.setTimeout(10_000, () => req.destroy(new Error(`${path} timed out`)))
    req.on('error', reject)
    if (opts.chunked === true && opts.body !== undefined) {
      // Two chunks: the limit is crossed in the second one.
      const half = Math.floor(opts.body.length / 2)
      req.write(opts.body.slice(0, half))
      req.end(opts.body.slice(half))
    } else {
      req.end(opts.body)
    }
  })
}

/** An upstream that answers with the headers it received. */
async function echoUpstream (t: Test): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const body = JSON.stringify({ url: req.url, headers: req.headers })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close(); server.closeAllConnections() })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function lines (file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(l => l.length > 0)
}

const DENY = 'denied {status} {reason} id={id}\n'

t.test('health, forwarded headers, body limits, per-domain rate limit and the deny template', async t => {
  const dir = t.testdir({})
  const upstream = await echoUpstream(t)
  const dead = await freePort()
  writeFileSync(join(dir, 'waf.yaml'), [
    'health: { path: /healthz, drainDelay: 1500 }',
    'bodyLimit: 1k',
    `deny: { contentType: "text/plain; charset=utf-8", body: ${JSON.stringify(DENY)} }`,
    'heartbeat: { interval: 60000 }',
    'domains:',
    '  big.example: { bodyLimit: 10k }',
    '  small.example: { bodyLimit: 100 }',
    '  cc.example: { rateLimit: { max: 2 } }',
    `  dead.example: { upstream: "http://127.0.0.1:${dead}" }`,
    '  keep.example: { preserveHost: true }',
    ''
  ].join('\n'))
  const gw = await startGateway({ WAF_CONFIG: 'waf.yaml', WAF_UPSTREAM: upstream }, dir)
  t.teardown(() => gw.stop('SIGKILL'))
  const upstreamHost = new URL(upstream).host

  const health = await request(gw.port, '/healthz', { host: 'any.example' })
  t.equal(health.status, 200)
  t.equal(health.body, 'ok\n')
  t.notOk('x-ratelimit-limit' in health.headers, 'the health endpoint is not rate limited')

  // What the upstream receives, without a trusted proxy: the client's X-Forwarded-For is kept
  // and the peer appended; X-Real-IP is the peer.
  const echoed = await request(gw.port, '/echo?a=1', { headers: { 'x-forwarded-for': '203.0.113.7' } })
  t.equal(echoed.status, 200)
  const seen = (JSON.parse(echoed.body) as Json).headers as Record<string, string>
  t.equal(seen['x-forwarded-for'], '203.0.113.7, 127.0.0.1', 'X-Forwarded-For appended')
  t.equal(seen['x-real-ip'], '127.0.0.1', 'X-Real-IP: the peer, as no proxy is trusted')
  t.equal(seen['x-forwarded-proto'], 'http')
  t.equal(seen['x-forwarded-host'], 'shop.example')
  t.equal(seen.host, upstreamHost, 'Host: the upstream\'s by default')
  t.equal(seen['x-request-id'], echoed.headers['x-request-id'])
  const kept = (JSON.parse((await request(gw.port, '/echo', { host: 'keep.example:8080' })).body) as Json).headers as Record<string, string>
  t.equal(kept.host, 'keep.example:8080', 'preserveHost on the domain: the client\'s Host')
  t.equal(kept['x-forwarded-for'], '127.0.0.1', 'a request without X-Forwarded-For gets the peer alone')

  // The deny template, for a rule deny…
  const denied = await request(gw.port, '/?q=1%27%20or%201=1', { headers: { 'x-forwarded-for': '203.0.113.7' } })
  t.equal(denied.status, 403)
  t.equal(denied.headers['content-type'], 'text/plain; charset=utf-8')
  t.equal(denied.body, `denied 403 Forbidden id=${String(denied.headers['x-request-id'])}\n`, 'the template with the request id')
  // … a body over the limit (global, and per domain, declared or chunked) …
  const big = 'x'.repeat(2000)
  const tooBig = await request(gw.port, '/upload', { method: 'POST', body: big, headers: { 'content-type': 'application/octet-stream' } })
  t.equal(tooBig.status, 413, 'over the global 1k')
  t.equal(tooBig.body, `denied 413 Payload Too Large id=${String(tooBig.headers['x-request-id'])}\n`)
  t.equal((await request(gw.port, '/upload', { host: 'big.example', method: 'POST', body: big, headers: { 'content-type': 'application/octet-stream' } })).status, 200, 'under big.example\'s 10k')
  t.equal((await request(gw.port, '/upload', { host: 'small.example', method: 'POST', body: 'y'.repeat(50), headers: { 'content-type': 'application/octet-stream' } })).status, 200)
  t.equal((await request(gw.port, '/upload', { host: 'small.example', method: 'POST', body: 'y'.repeat(200), headers: { 'content-type': 'application/octet-stream' } })).status, 413, 'over small.example\'s 100, declared')
  t.equal((await request(gw.port, '/upload', { host: 'small.example', method: 'POST', body: 'y'.repeat(200), chunked: true, headers: { 'content-type': 'application/octet-stream' } })).status, 413, 'over small.example\'s 100, chunked')
  // … CC over a domain's own limit …
  const cc = []
  for (let i = 0; i < 3; i++) cc.push(await request(gw.port, '/', { host: 'cc.example' }))
  t.same(cc.map(a => a.status), [200, 200, 429], 'cc.example: max 2')
  t.equal(cc[2].body, `denied 429 Too Many Requests id=${String(cc[2].headers['x-request-id'])}\n`)
  t.equal((await request(gw.port, '/')).status, 200, 'other domains keep the global limit')
  // … and the gateway's own 502.
  const bad = await request(gw.port, '/', { host: 'dead.example' })
  t.equal(bad.status, 502)
  t.equal(bad.body, `denied 502 Bad Gateway id=${String(bad.headers['x-request-id'])}\n`)

  // Draining: the health endpoint says 503 while requests are still served.
  const stopped = gw.stop('SIGTERM')
  await new Promise(resolve => setTimeout(resolve, 300))
  const draining = await request(gw.port, '/healthz')
  t.equal(draining.status, 503, '503 while draining')
  t.equal((await request(gw.port, '/echo')).status, 200, 'requests are still served during drainDelay')
  t.equal(await stopped, 0)

  const access = lines(join(dir, 'logs', 'access.log')).map(l => JSON.parse(l) as Json)
  t.notOk(access.some(r => r.request.path === '/healthz'), 'the health endpoint is not in the access log')
  t.notOk(lines(join(dir, 'logs', 'forensic.log')).some(l => l.includes('/healthz')), 'nor in the forensic log')
  t.same(access.filter(r => r.response.status === 413).map(r => r.host).sort(), ['shop.example', 'small.example', 'small.example'], 'the 413s are logged')
  t.ok(access.some(r => r.response.status === 429 && r.waf.cc === true), 'the 429 is logged as CC')
  t.ok(access.every(r => r.client_ip === '127.0.0.1'), 'no proxy trusted: the client IP is the peer\'s')
  t.equal(access.find(r => r.host === 'keep.example')?.upstream?.addr, upstreamHost, 'with preserveHost the log still names the upstream')
  const attack = lines(join(dir, 'logs', 'attack.log')).map(l => JSON.parse(l) as Json)
  t.equal(attack[0].client_ip, '127.0.0.1')
})

t.test('behind a trusted proxy: the forwarded client IP in every log and the rate-limit key', async t => {
  const dir = t.testdir({})
  const upstream = await echoUpstream(t)
  writeFileSync(join(dir, 'waf.yaml'), [
    'trustProxy: [127.0.0.1, "::1"]',
    'preserveHost: true',
    'forwardedHeaders: { xRealIp: false, xForwardedHost: false }',
    'rateLimit: { max: 2, timeWindow: 60000 }',
    'heartbeat: { interval: 60000 }',
    'channels:',
    '  access: file://' + join(dir, 'nginx.log'),
    'access: { format: \'$remote_addr "$request" $status\' }',
    ''
  ].join('\n'))
  const gw = await startGateway({ WAF_CONFIG: 'waf.yaml', WAF_UPSTREAM: upstream }, dir)
  t.teardown(() => gw.stop('SIGKILL'))

  const echoed = await request(gw.port, '/echo', { headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' } })
  const seen = (JSON.parse(echoed.body) as Json).headers as Record<string, string>
  t.equal(seen['x-forwarded-for'], '203.0.113.7, 127.0.0.1', 'appended')
  t.equal(seen['x-forwarded-proto'], 'https', 'the scheme the trusted proxy was spoken to in')
  t.notOk('x-real-ip' in seen, 'X-Real-IP turned off')
  t.notOk('x-forwarded-host' in seen, 'X-Forwarded-Host turned off')
  t.equal(seen.host, 'shop.example', 'preserveHost: the client\'s Host')

  t.equal((await request(gw.port, '/?q=1%27%20or%201=1', { headers: { 'x-forwarded-for': '198.51.100.9' } })).status, 403)
  // The rate limit counts the forwarded client: a second client behind the same proxy has its own.
  const a = []
  for (let i = 0; i < 3; i++) a.push((await request(gw.port, '/', { host: 'cc.example', headers: { 'x-forwarded-for': '192.0.2.1' } })).status)
  t.same(a, [200, 200, 429])
  t.equal((await request(gw.port, '/', { host: 'cc.example', headers: { 'x-forwarded-for': '192.0.2.2' } })).status, 200, 'another client behind the proxy')

  t.equal(await gw.stop('SIGTERM'), 0)
  const nginx = lines(join(dir, 'nginx.log'))
  t.same(nginx.map(l => l.split(' ')[0]), ['203.0.113.7', '198.51.100.9', '192.0.2.1', '192.0.2.1', '192.0.2.1', '192.0.2.2'], '$remote_addr is the forwarded client')
  const attack = lines(join(dir, 'logs', 'attack.log')).map(l => JSON.parse(l) as Json)
  t.equal(attack[0].client_ip, '198.51.100.9', 'the attack log has the forwarded client')
})

t.test('trustProxy as a hop count', async t => {
  const dir = t.testdir({})
  const upstream = await echoUpstream(t)
  writeFileSync(join(dir, 'waf.yaml'), 'trustProxy: 1\nheartbeat: { interval: 60000 }\n')
  const gw = await startGateway({ WAF_CONFIG: 'waf.yaml', WAF_UPSTREAM: upstream }, dir)
  t.teardown(() => gw.stop('SIGKILL'))
  const seen = (JSON.parse((await request(gw.port, '/echo', { headers: { 'x-forwarded-for': '10.9.8.7, 203.0.113.7' } })).body) as Json).headers as Record<string, string>
  t.equal(seen['x-real-ip'], '203.0.113.7', 'one hop trusted: the address that hop forwarded, not the one before it')
  t.equal(await gw.stop('SIGTERM'), 0)
  const access = lines(join(dir, 'logs', 'access.log')).map(l => JSON.parse(l) as Json)
  t.equal(access[0].client_ip, '203.0.113.7')
})
