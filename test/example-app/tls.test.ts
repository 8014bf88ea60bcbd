import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import tls from 'node:tls'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { AddressInfo } from 'node:net'
import { makeCerts } from '../helpers/certs.js'
import type { TestCerts } from '../helpers/certs.js'
import { loadConfig } from '../../example-app/config.js'
import { CertificateStore, certificateSettingsOf, certificateStoreOf, loadCertificates } from '../../example-app/tls.js'

const execFileP = promisify(execFile)
/** execFile with stdin closed at once (s_client waits on it otherwise). */
async function run (cmd: string, args: string[], o: { input: string, timeout: number }): Promise<{ stdout: string }> {
  const p = execFileP(cmd, args, { timeout: o.timeout })
  p.child.stdin?.end(o.input)
  return await p
}

/** Certificate loading: what a start and a reload read, and every way a file can be wrong. */

let certs: TestCerts
t.before(async () => { certs = await makeCerts() })
t.teardown(() => certs.cleanup())

function configIn (dir: string, yaml: string): ReturnType<typeof loadConfig>['config'] {
  writeFileSync(join(dir, 'waf.yaml'), yaml)
  return loadConfig({ WAF_CONFIG: 'waf.yaml' }, dir).config
}

t.test('each bad file is named with its setting and the configuration file', async t => {
  const dir = t.testdir({})
  writeFileSync(join(dir, 'server.crt'), certs.serverCert)
  writeFileSync(join(dir, 'server.key'), certs.serverKey)
  writeFileSync(join(dir, 'sni.key'), certs.sniKey)
  writeFileSync(join(dir, 'garbage.crt'), 'not a certificate\n')
  writeFileSync(join(dir, 'garbage.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
  const cases: Array<[string, RegExp]> = [
    ['listen: { tls: { cert: nope.crt, key: server.key } }', /waf\.yaml: "listen\.tls\.cert": cannot read .*nope\.crt: ENOENT/],
    ['listen: { tls: { cert: garbage.crt, key: server.key } }', /"listen\.tls\.cert": .*garbage\.crt is not a PEM certificate/],
    ['listen: { tls: { cert: server.crt, key: server.crt } }', /"listen\.tls\.key": .*server\.crt is not a PEM private key/],
    ['listen: { tls: { cert: server.crt, key: sni.key } }', /"listen\.tls\.key": .*sni\.key is not the private key of the certificate in .*server\.crt/],
    ['listen: { tls: { cert: server.crt, key: server.key, ca: garbage.pem } }', /"listen\.tls\.ca": certificate 1 of .*garbage\.pem does not load/],
    ['listen: { tls: { cert: server.crt, key: server.key, ca: garbage.crt } }', /"listen\.tls\.ca": .*garbage\.crt holds no PEM certificate/],
    ['listen: { tls: { cert: server.crt, key: server.key } }\ndomains:\n  a.example: { tls: { cert: server.crt, key: gone.key } }', /"domains\.a\.example\.tls\.key": cannot read .*gone\.key/],
    ['domains:\n  a.example: { tls: { cert: server.crt, key: server.key } }', /"domains\.a\.example\.tls" needs "listen\.tls"/]
  ]
  for (const [yaml, expected] of cases) t.throws(() => certificateStoreOf(configIn(dir, yaml + '\n')), expected, yaml.split('\n')[0])
})

t.test('no listen.tls: no certificates', async t => {
  t.equal(certificateStoreOf(configIn(t.testdir({}), 'mode: block\n')), undefined)
})

t.test('the store serves by SNI, and a replace (a reload) takes over', async t => {
  const dir = t.testdir({})
  writeFileSync(join(dir, 'server.crt'), certs.serverCert)
  writeFileSync(join(dir, 'server.key'), certs.serverKey)
  writeFileSync(join(dir, 'sni.crt'), certs.sniCert)
  writeFileSync(join(dir, 'sni.key'), certs.sniKey)
  const config = configIn(dir, 'listen: { tls: { cert: server.crt, key: server.key } }\ndomains:\n  collector.example: { tls: { cert: sni.crt, key: sni.key } }\n')
  const settings = certificateSettingsOf(config)
  if (settings === undefined) throw new Error('no settings')
  const store = new CertificateStore(loadCertificates(settings))
  t.match(store.current.default.subject, /CN=localhost/)
  const server = tls.createServer({ ...store.defaultContextOptions(), SNICallback: store.sniCallback }, s => s.end())
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const port = (server.address() as AddressInfo).port
  const cn = (servername: string): Promise<string> => new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, ca: certs.ca, checkServerIdentity: () => undefined }, () => {
      resolve(String(s.getPeerCertificate().subject.CN))
      s.end()
    })
    s.on('error', reject)
  })
  t.equal(await cn('collector.example'), 'collector.example')
  t.equal(await cn('elsewhere.example'), 'localhost')
  // A reload: the domain's certificate is now the default one.
  store.replace(loadCertificates({ ...settings, domains: { 'collector.example': settings.default } }))
  t.equal(await cn('collector.example'), 'localhost', 'the SNI callback reads the replaced set')
})

t.test('listen.tls.ca: the chain is sent after the certificate (openssl s_client counts it)', async t => {
  const dir = t.testdir({})
  writeFileSync(join(dir, 'server.crt'), certs.serverCert)
  writeFileSync(join(dir, 'server.key'), certs.serverKey)
  writeFileSync(join(dir, 'chain.pem'), certs.ca)
  const served = async (yaml: string): Promise<number> => {
    const store = certificateStoreOf(configIn(dir, yaml)) as CertificateStore
    const server = tls.createServer({ ...store.defaultContextOptions(), SNICallback: store.sniCallback }, s => s.end())
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    try {
      const { stdout } = await run('openssl', ['s_client', '-connect', `127.0.0.1:${(server.address() as AddressInfo).port}`, '-servername', 'localhost', '-showcerts'], { input: '', timeout: 10_000 })
      return (stdout.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length
    } finally {
      server.close()
    }
  }
  t.equal(await served('listen: { tls: { cert: server.crt, key: server.key } }\n'), 1, 'the certificate alone')
  t.equal(await served('listen: { tls: { cert: server.crt, key: server.key, ca: chain.pem } }\n'), 2, 'the certificate and its chain')
})
