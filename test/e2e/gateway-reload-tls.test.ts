import t from 'tap'
import tls from 'node:tls'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeCerts } from '../helpers/certs.js'
import type { TestCerts } from '../helpers/certs.js'
import { startGateway } from '../helpers/gateway.js'
import { startLoad } from '../helpers/load.js'
import { startDemoUpstream } from '../../example-app/upstream.js'
import { until } from '../helpers/until.js'

/**
 * SIGHUP reads the certificates again (a renewal writes new files at the same paths): HTTPS load
 * goes on without a failed request, the new certificate is served afterwards, and a broken one
 * is refused with the setting and the file while the running certificate keeps serving.
 */

let certs: TestCerts
t.before(async () => { certs = await makeCerts() })
t.teardown(() => certs.cleanup())

function servedCn (port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, checkServerIdentity: () => undefined }, () => {
      const cn = String(s.getPeerCertificate().subject.CN)
      s.end()
      resolve(cn)
    })
    s.on('error', reject)
  })
}


t.test('SIGHUP reloads the certificate files under HTTPS load; a bad one is refused', async t => {
  const dir = t.testdir({})
  const cert = join(dir, 'site.crt')
  const key = join(dir, 'site.key')
  writeFileSync(cert, certs.serverCert)
  writeFileSync(key, certs.serverKey)
  writeFileSync(join(dir, 'waf.yaml'), 'listen: { tls: { cert: site.crt, key: site.key } }\nrateLimit: false\nheartbeat: { interval: 600000 }\n')
  const upstream = await startDemoUpstream()
  t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
  const gw = await startGateway({ WAF_CONFIG: 'waf.yaml', WAF_UPSTREAM: upstream.url }, dir)
  t.teardown(() => gw.stop('SIGKILL'))
  t.equal(await servedCn(gw.port), 'localhost')

  const load = startLoad({ port: gw.port, concurrency: 3, max: 20_000, maxMs: 60_000, tls: { ca: certs.ca } })
  const more = async (n: number): Promise<void> => {
    const target = load.answered + n
    await until(`${n} more answers`, () => load.answered >= target)
  }
  await more(100)
  // A renewal: other certificate and key at the same paths (this one's SAN is collector.example;
  // the load's client checks the chain, not the name).
  writeFileSync(cert, certs.sniCert)
  writeFileSync(key, certs.sniKey)
  gw.child.kill('SIGHUP')
  await until('the reload', () => /reloaded .*generation 2/.test(gw.stdout()))
  t.equal(await servedCn(gw.port), 'collector.example', 'the new certificate is served')
  await more(100)

  // A key that is not the certificate's: refused, naming the setting and the file.
  writeFileSync(key, certs.serverKey)
  gw.child.kill('SIGHUP')
  await until('the refusal', () => /reload refused/.test(gw.stderr()))
  t.match(gw.stderr(), /reload refused: .*"listen\.tls\.key".*site\.key/)
  t.equal(await servedCn(gw.port), 'collector.example', 'the running certificate keeps serving')
  await more(100)

  const result = await load.stop()
  t.same(result.failures, [], `no failed HTTPS request out of ${result.sent}`)
  t.equal(await gw.stop('SIGTERM'), 0)
})
