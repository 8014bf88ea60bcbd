import t from 'tap'
import https from 'node:https'
import http2 from 'node:http2'
import tls from 'node:tls'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeCerts } from '../helpers/certs.js'
import type { TestCerts } from '../helpers/certs.js'
import { gatewayRefuses, startGateway } from '../helpers/gateway.js'
import { startDemoUpstream } from '../../example-app/upstream.js'
import { freePort } from '../helpers/ports.js'

/**
 * The gateway terminating TLS, as a user runs it: `listen.tls` with a certificate made by openssl
 * at test time, a second certificate chosen by SNI (`domains.<name>.tls`), `listen.http2` with
 * HTTP/1.1 still served through ALPN, and HTTP/2 requests (Node's http2 client) through every log
 * and a per-domain detect policy. Bad certificate files stop the start with the setting and file.
 */

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

let certs: TestCerts
t.before(async () => { certs = await makeCerts() })
t.teardown(() => certs.cleanup())

/** The served certificate's subject CN and the ALPN protocol, for a client that names `servername`. */
function handshake (port: number, servername: string, alpn: string[]): Promise<{ cn: string, alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, ca: certs.ca, ALPNProtocols: alpn, checkServerIdentity: () => undefined }, () => {
      const cn = String(s.getPeerCertificate().subject.CN)
      const proto = s.alpnProtocol
      s.end()
      resolve({ cn, alpn: proto ?? false })
    })
    s.on('error', reject)
  })
}

function httpsGet (port: number, path: string, host: string): Promise<{ status: number, version: string, body: string }> {
  return new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path, servername: 'localhost', headers: { host }, ca: certs.ca, agent: false }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, version: res.httpVersion, body }))
    }).on('error', reject)
  })
}

function h2Get (session: http2.ClientHttp2Session, path: string, authority: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path, ':authority': authority, 'user-agent': 'h2-test' })
    let status = 0
    let body = ''
    req.on('response', h => { status = Number(h[':status']) })
    req.setEncoding('utf8').on('data', (d: string) => { body += d })
    req.on('end', () => resolve({ status, body }))
    req.on('error', reject)
    req.end()
  })
}

function lines (file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(l => l.length > 0)
}

t.test('HTTPS, a certificate per domain by SNI, HTTP/2 and HTTP/1.1 through ALPN, every log', async t => {
  const dir = t.testdir({})
  for (const [f, text] of Object.entries({ 'server.crt': certs.serverCert, 'server.key': certs.serverKey, 'sni.crt': certs.sniCert, 'sni.key': certs.sniKey })) writeFileSync(join(dir, f), text)
  const upstream = await startDemoUpstream()
  t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
  writeFileSync(join(dir, 'waf.yaml'), [
    'listen:',
    '  tls: { cert: server.crt, key: server.key }',
    '  http2: true',
    'domains:',
    '  collector.example: { tls: { cert: sni.crt, key: sni.key } }',
    '  detect.example: { mode: detect }',
    'heartbeat: { interval: 60000 }',
    ''
  ].join('\n'))
  const gw = await startGateway({ WAF_CONFIG: 'waf.yaml', WAF_UPSTREAM: upstream.url }, dir)
  t.teardown(() => gw.stop('SIGKILL'))
  t.match(gw.stdout(), /listening on https:\/\/127\.0\.0\.1:\d+ .*HTTP\/2/, 'the banner says https and HTTP/2')

  t.same(await handshake(gw.port, 'localhost', ['h2', 'http/1.1']), { cn: 'localhost', alpn: 'h2' }, 'the default certificate, HTTP/2 chosen')
  t.same(await handshake(gw.port, 'collector.example', ['h2', 'http/1.1']), { cn: 'collector.example', alpn: 'h2' }, 'the domain\'s certificate by SNI')
  t.same(await handshake(gw.port, 'COLLECTOR.example', ['http/1.1']), { cn: 'collector.example', alpn: 'http/1.1' }, 'SNI matched as domains are, lowercased')
  t.equal((await handshake(gw.port, 'other.example', ['http/1.1'])).cn, 'localhost', 'an unknown name gets the default certificate')

  const one = await httpsGet(gw.port, '/one?x=1', 'shop.example')
  t.equal(one.status, 200)
  t.equal(one.version, '1.1', 'an HTTP/1.1 client is served over TLS')

  const session = http2.connect(`https://localhost:${gw.port}`, { ca: certs.ca })
  t.teardown(() => session.destroy())
  const two = await h2Get(session, '/two?y=2', 'shop.example')
  t.equal(two.status, 200)
  t.equal((JSON.parse(two.body) as Json).url, '/two?y=2', 'forwarded upstream')
  const xss = '/?q=%3Cscript%3Ealert(1)%3C/script%3E'
  t.equal((await h2Get(session, xss, 'detect.example')).status, 200, 'HTTP/2 to a domain in detect mode: logged, not blocked')
  t.equal((await h2Get(session, xss, 'shop.example')).status, 403, 'HTTP/2 to a domain in block mode: denied')
  session.close()

  t.equal(await gw.stop('SIGTERM'), 0, 'a graceful close with an HTTP/2 session open')
  const plus = lines(join(dir, 'logs', 'forensic.log')).filter(l => l.startsWith('+'))
  const h2Plus = plus.find(l => l.includes('|GET /two?y=2 HTTP/2.0|')) as string
  t.ok(h2Plus, 'the forensic line carries HTTP/2.0')
  t.notMatch(h2Plus, /\|:/, 'no pseudo-header')
  t.match(h2Plus, /\|host:shop\.example(\||$)/, 'Host from :authority')
  t.match(h2Plus, /\|user-agent:h2-test(\||$)/)
  t.ok(plus.some(l => l.includes('|GET /one?x=1 HTTP/1.1|')))

  const access = lines(join(dir, 'logs', 'access.log')).map(l => JSON.parse(l) as Json)
  const rec = access.find(r => r.request.uri === '/two?y=2') as Json
  t.equal(rec.request.http_version, '2.0')
  t.equal(rec.host, 'shop.example')
  t.equal(rec.client_ip, '127.0.0.1')
  t.equal(rec.upstream?.status, 200)
  t.same(Object.keys(rec.request.headers).filter(k => k.startsWith(':')), [])
  const detected = access.find(r => r.host === 'detect.example') as Json
  t.equal(detected.waf.mode, 'detect')
  t.equal(detected.waf.action, 'log')

  const attacks = lines(join(dir, 'logs', 'attack.log')).map(l => JSON.parse(l) as Json)
  t.same(attacks.map(a => [a.host, a.action, a.client_ip]).sort(), [['detect.example', 'log', '127.0.0.1'], ['shop.example', 'deny', '127.0.0.1']])
  const heart = lines(join(dir, 'logs', 'heartbeat.log')).map(l => JSON.parse(l) as Json)
  t.ok(heart.some(r => r.domains?.['detect.example'] !== undefined), 'the heartbeat counts the HTTP/2 domain')
})

t.test('a bad certificate file stops the start, naming the setting and the file', async t => {
  // Every kind of bad file is in test/example-app/tls.test.ts; here, that the process refuses.
  const dir = t.testdir({})
  writeFileSync(join(dir, 'server.key'), certs.serverKey)
  writeFileSync(join(dir, 'missing.yaml'), 'listen: { tls: { cert: nope.crt, key: server.key } }\n')
  const r = await gatewayRefuses({ WAF_CONFIG: 'missing.yaml' }, dir)
  t.equal(r.code, 1)
  t.match(r.stderr, /^fastify-waflog gateway: .*missing\.yaml: "listen\.tls\.cert": cannot read .*nope\.crt: ENOENT/)
})

t.test('SIGHUP reads the certificate files again; a bad one is refused and the running one stays', async t => {
  const dir = t.testdir({})
  writeFileSync(join(dir, 'site.crt'), certs.serverCert)
  writeFileSync(join(dir, 'site.key'), certs.serverKey)
  const port = await freePort()
  writeFileSync(join(dir, 'waf.yaml'), `listen: { host: 127.0.0.1, port: ${port}, tls: { cert: site.crt, key: site.key } }\nheartbeat: { interval: 60000 }\n`)
  const upstream = await startDemoUpstream()
  t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
  // WAF_PORT empty: the port is the file's, the same for every generation.
  const gw = await startGateway({ WAF_CONFIG: 'waf.yaml', WAF_UPSTREAM: upstream.url, WAF_PORT: '' }, dir)
  t.teardown(() => gw.stop('SIGKILL'))
  t.equal((await handshake(port, 'localhost', ['http/1.1'])).cn, 'localhost')

  const waitFor = async (what: string, read: () => string, re: RegExp): Promise<void> => {
    const end = Date.now() + 30_000
    while (!re.test(read())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${gw.stdout()}\n${gw.stderr()}`)
      await new Promise(resolve => setTimeout(resolve, 25))
    }
  }
  writeFileSync(join(dir, 'site.crt'), certs.sniCert)
  writeFileSync(join(dir, 'site.key'), certs.sniKey)
  gw.child.kill('SIGHUP')
  await waitFor('the reload', gw.stdout, /reloaded .*generation 2/)
  t.equal((await handshake(port, 'localhost', ['http/1.1'])).cn, 'collector.example', 'the new certificate is served after SIGHUP')

  writeFileSync(join(dir, 'site.key'), certs.serverKey)
  gw.child.kill('SIGHUP')
  await waitFor('the refusal', gw.stderr, /reload refused/)
  t.match(gw.stderr(), /reload refused: .*"listen\.tls\.key": .*site\.key is not the private key of the certificate in .*site\.crt/)
  t.equal((await handshake(port, 'localhost', ['http/1.1'])).cn, 'collector.example', 'the running certificate keeps serving')
  t.equal(await gw.stop('SIGTERM'), 0)
})
