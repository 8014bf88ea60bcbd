import t from 'tap'
import https from 'node:https'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeCerts } from '../helpers/certs.js'
import { startGateway } from '../helpers/gateway.js'

/**
 * An https upstream is verified: with a certificate from an unknown CA the gateway answers 502 and
 * never shows the upstream's answer; with that CA named in `upstreamTls.ca` it forwards.
 */

function get (port: number): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    }).on('error', reject)
  })
}

t.test('https upstreams are verified by default', async t => {
  const certs = await makeCerts()
  t.teardown(() => certs.cleanup())
  const upstream = https.createServer({ key: certs.serverKey, cert: certs.serverCert }, (_req, res) => res.end('from the upstream'))
  await new Promise<void>(resolve => upstream.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { upstream.close(); upstream.closeAllConnections() })
  const url = `https://localhost:${(upstream.address() as AddressInfo).port}`
  const dir = t.testdir({})
  writeFileSync(join(dir, 'ca.pem'), certs.ca)
  writeFileSync(join(dir, 'trusted.yaml'), 'upstreamTls: { ca: ca.pem }\n')

  const untrusted = await startGateway({ WAF_UPSTREAM: url }, dir)
  t.teardown(() => untrusted.stop('SIGKILL'))
  const refused = await get(untrusted.port)
  t.equal(refused.status, 502, 'a certificate from an unknown CA is refused')
  t.notMatch(refused.body, /from the upstream/)
  t.equal(await untrusted.stop('SIGTERM'), 0)

  const trusted = await startGateway({ WAF_UPSTREAM: url, WAF_CONFIG: 'trusted.yaml' }, dir)
  t.teardown(() => trusted.stop('SIGKILL'))
  const ok = await get(trusted.port)
  t.equal(ok.status, 200, 'with the CA named, the upstream is reached')
  t.equal(ok.body, 'from the upstream')
  t.equal(await trusted.stop('SIGTERM'), 0)
})
