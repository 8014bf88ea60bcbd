import t from 'tap'
import { writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { loadConfig, ConfigError } from '../../example-app/config.js'
import { wafOptionsOf } from '../../example-app/gateway.js'

t.test('no file and no environment: the embedded defaults', async t => {
  const cwd = t.testdir({})
  const { config, warnings } = loadConfig({}, cwd)
  t.equal(config.port, 8080)
  t.equal(config.host, '0.0.0.0')
  t.equal(config.workers, 1)
  t.equal(config.upstream, undefined, 'no upstream: the demo upstream starts')
  t.equal(config.mode, 'block')
  t.same(config.channels, {
    forensic: pathToFileURL(join(cwd, 'logs', 'forensic.log')).href,
    access: pathToFileURL(join(cwd, 'logs', 'access.log')).href,
    attack: pathToFileURL(join(cwd, 'logs', 'attack.log')).href,
    heart: pathToFileURL(join(cwd, 'logs', 'heartbeat.log')).href
  })
  t.same(config.rateLimit, { max: 1000, timeWindow: 60000, redis: undefined, redisTimeout: 100 })
  t.equal(config.node, hostname(), 'the node is the host name')
  t.equal(config.heartbeat.graphitePrefix, 'waf.{node}.{wid}')
  t.same(config.timeouts, { header: 60000, body: 60000 }, 'nginx\'s client_header_timeout and client_body_timeout')
  t.same(warnings, [])
})

t.test('rateLimit.redis and redisTimeout, from the file and WAF_RATE_LIMIT_REDIS', async t => {
  const dir = t.testdir({ 'waf.yaml': 'rateLimit: { max: 50, redis: "rediss://:pw@redis.internal:6380/2", redisTimeout: 250 }\n' })
  t.same(loadConfig({ WAF_CONFIG: 'waf.yaml' }, dir).config.rateLimit, { max: 50, timeWindow: 60000, redis: 'rediss://:pw@redis.internal:6380/2', redisTimeout: 250 })
  t.equal((loadConfig({ WAF_CONFIG: 'waf.yaml', WAF_RATE_LIMIT_REDIS: 'redis://127.0.0.1:6379/0' }, dir).config.rateLimit as { redis: string }).redis, 'redis://127.0.0.1:6379/0')
})

t.test('node and the graphite prefix, from the file and WAF_NODE', async t => {
  const dir = t.testdir({ 'waf.yaml': 'node: edge-1.dc.example\nheartbeat: { format: graphite, graphitePrefix: "dc1.{node}.w{wid}" }\n' })
  t.equal(loadConfig({ WAF_CONFIG: 'waf.yaml' }, dir).config.node, 'edge-1.dc.example')
  t.equal(loadConfig({ WAF_CONFIG: 'waf.yaml' }, dir).config.heartbeat.graphitePrefix, 'dc1.{node}.w{wid}')
  t.equal(loadConfig({ WAF_CONFIG: 'waf.yaml', WAF_NODE: 'edge-2' }, dir).config.node, 'edge-2')
})

t.test('the shipped example file is valid', async t => {
  const file = new URL('../../example-app/config.example.yaml', import.meta.url).pathname
  const { config } = loadConfig({ WAF_CONFIG: file }, t.testdir({}))
  t.equal(config.domains['shop.example'].mode, 'block')
  t.equal(config.domains['internal.example'].mode, 'off')
  t.same(config.routes[0], { prefix: '/static', rules: false, access: true })
  t.same(config.timeouts, { header: 60000, body: 60000 })
})

t.test('environment variables override the file', async t => {
  const dir = t.testdir({
    'waf.yaml': 'listen: { port: 9000 }\nworkers: 2\nmode: detect\nchannels:\n  access: tcp://127.0.0.1:5170\n'
  })
  const { config, warnings } = loadConfig({
    WAF_CONFIG: 'waf.yaml',
    WAF_PORT: '9100',
    WAF_WORKERS: '3',
    WAF_CHANNEL_ACCESS: 'udp://127.0.0.1:9999',
    WAF_RATE_LIMIT_MAX: '0',
    WAF_PROT: '1',
    WAF_CORPUS: '/somewhere'
  }, dir)
  t.equal(config.port, 9100)
  t.equal(config.workers, 3)
  t.equal(config.mode, 'detect', 'from the file')
  t.equal(config.channels.access, 'udp://127.0.0.1:9999')
  t.equal(config.rateLimit, false, 'WAF_RATE_LIMIT_MAX=0 turns CC limiting off')
  t.equal(warnings.length, 1)
  t.match(warnings[0], /WAF_PROT is not a gateway setting/)
})

const bad: Array<[string, string, RegExp]> = [
  ['a wrong mode', 'mode: blok\n', /"mode" must be one of block, detect, off \(got "blok"\)/],
  ['an unknown key', 'listn: {}\n', /"listn" is not a known setting/],
  ['a port out of range', 'listen: { port: 70000 }\n', /"listen.port" must be a whole number from 0 to 65535/],
  ['a bad channel URL', 'channels: { access: "http://x" }\n', /"channels.access" must be a URL with one of tcp:/],
  ['an unknown channel', 'channels: { acces: "tcp://127.0.0.1:1" }\n', /"channels.acces" is not a known setting/],
  ['a bad domain mode', 'domains: { a.example: { mode: maybe } }\n', /"domains.a.example.mode" must be one of block, detect, off/],
  ['a bad upstream', 'domains: { a.example: { upstream: "ftp://x" } }\n', /"domains.a.example.upstream" must be a URL with one of http:, https:/],
  ['a route without slash', 'routes: [{ prefix: api }]\n', /"routes\[0\].prefix" must be a path that starts with "\/"/],
  ['a route with an unknown plugin', 'routes: [{ prefix: /a, rule: false }]\n', /"routes\[0\].rule" is not a known setting/],
  ['zero workers', 'workers: 0\n', /"workers" must be a whole number from 1 to 256/],
  ['a body timeout of 0', 'timeouts: { body: 0 }\n', /"timeouts.body" must be a whole number from 100 to 3600000/],
  ['an unknown timeout', 'timeouts: { request: 5 }\n', /"timeouts.request" is not a known setting \(known: header, body\)/],
  ['a paranoia level of 5', 'rules: { crs: { paranoia: 5 } }\n', /waf\.yaml: "rules.crs.paranoia" must be 1, 2, 3 or 4/],
  ['an unknown CRS setting', 'rules: { crs: { level: 2 } }\n', /"rules.crs.level" is not an option \(paranoia, detectionParanoia, anomalyThreshold, outboundAnomalyThreshold, tx\)/],
  ['a CRS tx setting that is not a TX name', 'rules: { crs: { tx: { "a-b": 1 } } }\n', /"rules.crs.tx.a-b" is not a TX variable name/],
  ['an exclusion without a rule id', 'rules: { exclusions: [{ target: "ARGS:q" }] }\n', /"rules.exclusions\[0\].ruleId" must be a rule id or an id range/],
  ['an exclusion with an unknown key', 'rules: { exclusions: [{ ruleId: 1, path: "/x" }] }\n', /"rules.exclusions\[0\].path" is not a known setting \(known: ruleId, target, prefix\)/],
  ['an exclusion prefix without a slash', 'rules: { exclusions: [{ ruleId: 1, prefix: "x" }] }\n', /"rules.exclusions\[0\].prefix" must be a path that starts with "\/"/],
  ['a negative result cache size', 'rules: { resultCacheBytes: -1 }\n', /"rules.resultCacheBytes" must be a whole number from 0 to 1099511627776/],
  ['a result cache size with a unit', 'rules: { resultCacheBytes: 16MiB }\n', /"rules.resultCacheBytes" must be a whole number/],
  ['an unknown attack-log format', 'attack: { format: xml }\n', /"attack.format" must be json or modsec-json/],
  ['domain rule files that are not a list', 'domains: { shop.example: { ruleFiles: a.conf } }\n', /"domains.shop.example.ruleFiles" must be a list of strings/],
  ['a node with a space', 'node: "edge 1"\n', /"node" must be 1 to 253 printable ASCII characters without spaces/],
  ['a graphite prefix with an unknown placeholder', 'heartbeat: { graphitePrefix: "waf.{host}" }\n', /"heartbeat.graphitePrefix" must be a template with the placeholders \{node\} and \{wid\} only, not \{host\}/],
  ['a graphite prefix that makes an empty node', 'heartbeat: { graphitePrefix: "waf..{wid}" }\n', /"heartbeat.graphitePrefix" must be dot-separated nodes/],
  ['a metrics path without slash', 'metrics: { path: metrics }\n', /"metrics.path" must be a path that starts with "\/"/],
  ['an unknown metrics setting', 'metrics: { port: 9100 }\n', /"metrics.port" is not a known setting \(known: path, allow\)/],
  ['a metrics allow entry that is a name', 'metrics: { allow: [localhost] }\n', /"metrics.allow" must be a list of IP addresses or CIDR ranges \(got .*localhost/],
  ['a status allow range too wide', 'status: { allow: [10.0.0.0/40] }\n', /"status.allow" must be a list of IP addresses or CIDR ranges/],
  ['a Redis URL of another scheme', 'rateLimit: { redis: "http://127.0.0.1:6379" }\n', /"rateLimit.redis" must be a Redis URL: it must be a URL with redis: or rediss: \(got http:\) \(got "http:\/\/127.0.0.1:6379\/?"\)/],
  ['a Redis URL with a bad database', 'rateLimit: { redis: "redis://127.0.0.1:6379/db1" }\n', /"rateLimit.redis" must be a Redis URL: it must end in a database number/],
  ['a Redis URL that is no URL, with its password hidden', 'rateLimit: { redis: "redis//:pw@x" }\n', /"rateLimit.redis" must be a Redis URL: .*\(got "\(invalid URL\)"\)/],
  ['a Redis timeout of 0', 'rateLimit: { redisTimeout: 0 }\n', /"rateLimit.redisTimeout" must be a whole number from 1 to 60000/],
  ['broken YAML', 'mode: [\n', /not valid YAML/],
  ['a list at top level', '- a\n', /must hold a mapping/]
]
for (const [name, yaml, message] of bad) {
  t.test(`invalid: ${name}`, async t => {
    const dir = t.testdir({ 'waf.yaml': yaml })
    t.throws(() => loadConfig({ WAF_CONFIG: 'waf.yaml' }, dir), message)
    try { loadConfig({ WAF_CONFIG: 'waf.yaml' }, dir) } catch (err) { t.type(err, ConfigError) }
  })
}

t.test('metrics: left out, none; true, the defaults; allow takes CIDR ranges', async t => {
  const dir = t.testdir({ 'none.yaml': 'mode: block\n', 'on.yaml': 'metrics: true\n', 'set.yaml': 'metrics: { path: /prom, allow: [10.0.0.0/8, "fd00::/8"] }\n' })
  t.equal(loadConfig({ WAF_CONFIG: 'none.yaml' }, dir).config.metrics, undefined)
  t.same(loadConfig({ WAF_CONFIG: 'on.yaml' }, dir).config.metrics, { path: '/metrics', allow: ['127.0.0.1', '::1', '::ffff:127.0.0.1'] })
  t.same(loadConfig({ WAF_CONFIG: 'set.yaml' }, dir).config.metrics, { path: '/prom', allow: ['10.0.0.0/8', 'fd00::/8'] })
})

t.test('exclusions, CRS tx settings and per-domain rule files pass through to the rule check', async t => {
  const dir = t.testdir({
    'waf.yaml': [
      'rules:',
      '  exclusions: [{ ruleId: 100102, target: "ARGS:q", prefix: /cms }, { ruleId: "942100-942199" }]',
      '  crs: { paranoia: 2, tx: { allowed_methods: "GET HEAD POST", arg_length: 400 } }',
      'domains:',
      '  shop.example: { ruleFiles: [shop.conf] }',
      ''
    ].join('\n')
  })
  const { config } = loadConfig({ WAF_CONFIG: 'waf.yaml' }, dir)
  t.same(config.rules.exclusions, [{ ruleId: 100102, target: 'ARGS:q', prefix: '/cms' }, { ruleId: '942100-942199' }])
  t.same(config.rules.crs, { paranoia: 2, tx: { allowed_methods: 'GET HEAD POST', arg_length: 400 } })
  t.same(config.domains['shop.example']?.ruleFiles, [join(dir, 'shop.conf')])
  const rules = wafOptionsOf(config).rules as { exclusions: unknown, crs: unknown, domainRules: unknown }
  t.same([rules.exclusions, rules.crs, rules.domainRules], [config.rules.exclusions, config.rules.crs, { 'shop.example': [join(dir, 'shop.conf')] }])
})

t.test('attack.format modsec-json reaches the attack log plugin', async t => {
  const dir = t.testdir({ 'waf.yaml': 'attack: { format: modsec-json }\n' })
  const { config } = loadConfig({ WAF_CONFIG: 'waf.yaml' }, dir)
  t.same(wafOptionsOf(config).attack, { format: 'modsec-json' })
  t.same(wafOptionsOf(loadConfig({}, dir).config).attack, {}, 'json, the default')
})

t.test('CRS settings pass through to the rule check', async t => {
  const dir = t.testdir({ 'waf.yaml': 'rules: { defaultRules: false, files: [crs/rules], crs: { paranoia: 2, anomalyThreshold: 10 } }\n' })
  const { config } = loadConfig({ WAF_CONFIG: 'waf.yaml' }, dir)
  t.same(config.rules.crs, { paranoia: 2, anomalyThreshold: 10 })
  t.same(config.rules.files, [join(dir, 'crs/rules')], 'rule paths resolve against the config file')
  t.equal(config.rules.defaultRules, false)
  t.equal(config.rules.responseBodyBytes, undefined, 'the response settings default to the plugin\'s')
})

t.test('response inspection settings pass through, and bad ones name the setting', async t => {
  const dir = t.testdir({
    'waf.yaml': 'rules: { crs: { outboundAnomalyThreshold: 6 }, responseBodyBytes: 4096, responseBodyTypes: [text/html, application/xhtml+xml] }\n',
    'bad.yaml': 'rules: { responseBodyBytes: 0 }\n'
  })
  const { config } = loadConfig({ WAF_CONFIG: 'waf.yaml' }, dir)
  t.same(config.rules.crs, { outboundAnomalyThreshold: 6 })
  t.equal(config.rules.responseBodyBytes, 4096)
  t.same(config.rules.responseBodyTypes, ['text/html', 'application/xhtml+xml'])
  t.match(wafOptionsOf(config).rules, { limits: { responseBodyBytes: 4096 }, responseBodyTypes: ['text/html', 'application/xhtml+xml'] }, 'the rules plugin gets them')
  t.throws(() => loadConfig({ WAF_CONFIG: 'bad.yaml' }, dir), /rules\.responseBodyBytes/)
})

t.test('rules.bodyBytes passes through as the rules plugin\'s limits.bodyBytes, beside responseBodyBytes; a bad one names the setting', async t => {
  const dir = t.testdir({
    'both.yaml': 'bodyLimit: 8m\nrules: { bodyBytes: 8388608, responseBodyBytes: 4096 }\n',
    'one.yaml': 'rules: { bodyBytes: 65536 }\n',
    'none.yaml': 'mode: detect\n',
    'bad.yaml': 'rules: { bodyBytes: 1.5 }\n'
  })
  const limitsOf = (file: string): unknown => {
    const rules = wafOptionsOf(loadConfig({ WAF_CONFIG: file }, dir).config).rules
    return rules === false ? 'no rules' : rules?.limits
  }
  t.same(limitsOf('both.yaml'), { bodyBytes: 8388608, responseBodyBytes: 4096 })
  t.same(limitsOf('one.yaml'), { bodyBytes: 65536 })
  t.equal(limitsOf('none.yaml'), undefined, 'the plugin\'s defaults (1 MiB)')
  t.throws(() => loadConfig({ WAF_CONFIG: 'bad.yaml' }, dir), /rules\.bodyBytes/)
})

t.test('rules.resultCacheBytes passes through as the rules plugin\'s resultCacheBytes; 0 turns the cache off', async t => {
  const dir = t.testdir({ 'on.yaml': 'rules: { resultCacheBytes: 1048576 }\n', 'off.yaml': 'rules: { resultCacheBytes: 0 }\n', 'none.yaml': 'mode: detect\n' })
  t.match(wafOptionsOf(loadConfig({ WAF_CONFIG: 'on.yaml' }, dir).config).rules, { resultCacheBytes: 1048576 })
  t.match(wafOptionsOf(loadConfig({ WAF_CONFIG: 'off.yaml' }, dir).config).rules, { resultCacheBytes: 0 })
  t.notOk('resultCacheBytes' in (wafOptionsOf(loadConfig({ WAF_CONFIG: 'none.yaml' }, dir).config).rules as object), 'absent: the plugin\'s default')
})

t.test('invalid environment values name the variable', async t => {
  t.throws(() => loadConfig({ WAF_PORT: 'eighty' }, t.testdir({})), /WAF_PORT must be a whole number/)
  t.throws(() => loadConfig({ WAF_MODE: 'loud' }, t.testdir({})), /"mode" must be one of block, detect, off \(got "loud"\)/)
})

t.test('a missing file is a clear error', async t => {
  const dir = t.testdir({})
  t.throws(() => loadConfig({ WAF_CONFIG: 'nope.yaml' }, dir), /WAF_CONFIG: cannot read .*nope\.yaml/)
  writeFileSync(join(dir, 'empty.yaml'), '')
  t.equal(loadConfig({ WAF_CONFIG: 'empty.yaml' }, dir).config.port, 8080, 'an empty file means defaults')
})
