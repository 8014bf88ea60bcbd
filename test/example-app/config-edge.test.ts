import t from 'tap'
import { join } from 'node:path'
import { loadConfig } from '../../example-app/config.js'
import { DEFAULT_BODY_LIMIT } from '../../example-app/config-edge.js'

function load (yaml: string): ReturnType<typeof loadConfig>['config'] {
  return loadConfig({ WAF_CONFIG: 'waf.yaml' }, t.testdir({ 'waf.yaml': yaml })).config
}

t.test('defaults: no TLS, HTTP/1.1, no health, no proxy trusted, every forwarded header, nginx\'s 1m body limit', async t => {
  const { config } = loadConfig({}, t.testdir({}))
  t.same(config.edge, {
    tls: undefined,
    http2: false,
    health: undefined,
    trustProxy: false,
    forwardedHeaders: { xForwardedFor: true, xForwardedProto: true, xForwardedHost: true, xRealIp: true },
    preserveHost: false,
    bodyLimit: DEFAULT_BODY_LIMIT,
    deny: undefined
  })
})

t.test('every edge setting read, paths resolved against the file', async t => {
  const dir = t.testdir({
    'waf.yaml': [
      'listen: { tls: { cert: c.pem, key: k.pem, ca: chain.pem }, http2: true }',
      'health: { path: /healthz, drainDelay: 2000 }',
      'trustProxy: [10.0.0.0/8, "::1", loopback]',
      'forwardedHeaders: { xRealIp: false }',
      'preserveHost: true',
      'bodyLimit: 10m',
      'deny: { status: 406, contentType: text/html, body: "<p>{id}</p>" }',
      'domains:',
      '  a.example: { tls: { cert: /etc/a.pem, key: a.key }, preserveHost: false, bodyLimit: 512k, rateLimit: { max: 5 } }',
      ''
    ].join('\n')
  })
  const { config } = loadConfig({ WAF_CONFIG: 'waf.yaml' }, dir)
  t.same(config.edge.tls, { cert: join(dir, 'c.pem'), key: join(dir, 'k.pem'), ca: join(dir, 'chain.pem') })
  t.equal(config.edge.http2, true)
  t.same(config.edge.health, { path: '/healthz', drainDelay: 2000 })
  t.same(config.edge.trustProxy, ['10.0.0.0/8', '::1', 'loopback'])
  t.same(config.edge.forwardedHeaders, { xForwardedFor: true, xForwardedProto: true, xForwardedHost: true, xRealIp: false })
  t.equal(config.edge.preserveHost, true)
  t.equal(config.edge.bodyLimit, 10 * 1024 * 1024)
  t.same(config.edge.deny, { status: 406, contentType: 'text/html', body: '<p>{id}</p>' })
  t.same(config.domains['a.example'].edge, {
    tls: { cert: '/etc/a.pem', key: join(dir, 'a.key') },
    preserveHost: false,
    bodyLimit: 512 * 1024,
    rateLimit: { max: 5, timeWindow: undefined }
  })
  t.equal(load('trustProxy: 2\n').edge.trustProxy, 2)
  t.equal(load('trustProxy: true\n').edge.trustProxy, true)
  t.equal(load('bodyLimit: 0\n').edge.bodyLimit, 0, '0: no limit')
  t.equal(load('bodyLimit: 4096\n').edge.bodyLimit, 4096)
})

t.test('bad values name the setting', async t => {
  const cases: Array<[string, RegExp]> = [
    ['listen: { tls: { cert: c.pem, key: k.pem, pass: x } }', /"listen\.tls\.pass" is not a known setting/],
    ['listen: { http2: yes please }', /"listen\.http2" must be true or false/],
    ['health: { path: healthz }', /"health\.path" must be a path that starts with "\/"/],
    ['trustProxy: [10.0.0.0/33]', /"trustProxy" must be true, false, a hop count, or a list of addresses, CIDRs/],
    ['trustProxy: [proxy.example]', /"trustProxy" must be/],
    ['trustProxy: 0', /"trustProxy" must be a whole number from 1 to 64/],
    ['forwardedHeaders: { xForwardedPort: true }', /"forwardedHeaders\.xForwardedPort" is not a known setting \(known: xForwardedFor, xForwardedProto, xForwardedHost, xRealIp\)/],
    ['bodyLimit: 10mb', /"bodyLimit" must be a size in bytes, or with k, m or g/],
    ['bodyLimit: -1', /"bodyLimit" must be a size/],
    ['deny: { contentType: text/plain }', /"deny\.body" must be a string/],
    ['deny: { body: x, status: 200 }', /"deny\.status" must be a whole number from 400 to 599/],
    ['domains:\n  a.example: { rateLimit: { max: 0 } }', /"domains\.a\.example\.rateLimit\.max" must be a whole number from 1/],
    ['domains:\n  a.example: { tls: { cert: c.pem, key: k.pem, ca: x.pem } }', /"domains\.a\.example\.tls\.ca" is not a known setting/],
    ['domains:\n  a.example: { bodyLimit: lots }', /"domains\.a\.example\.bodyLimit" must be a size/]
  ]
  for (const [yaml, expected] of cases) t.throws(() => load(yaml + '\n'), expected, yaml)
})
