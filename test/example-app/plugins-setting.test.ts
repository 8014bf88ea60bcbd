import t from 'tap'
import type { Test } from 'tap'
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import { buildGateway } from '../../example-app/gateway.js'
import { loadConfig } from '../../example-app/config.js'
import type { GatewayConfig } from '../../example-app/config.js'

/** A real upstream that answers 200 and counts the requests it got. */
async function upstream (t: Test): Promise<{ url: string, seen: string[] }> {
  const seen: string[] = []
  const up = http.createServer((req, res) => { seen.push(req.url ?? ''); res.end('ok') })
  up.listen(0, '127.0.0.1')
  await once(up, 'listening')
  t.teardown(() => { up.close() })
  return { url: `http://127.0.0.1:${(up.address() as net.AddressInfo).port}`, seen }
}

async function gateway (t: Test, config: GatewayConfig, upstreamUrl: string): Promise<{ base: string, app: Awaited<ReturnType<typeof buildGateway>> }> {
  const app = await buildGateway(config, { defaultUpstream: upstreamUrl, logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { base: `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`, app }
}

function configFor (t: Test, yaml: string, upstreamUrl: string): GatewayConfig {
  const dir = t.testdir({ 'waf.yaml': yaml, logs: {} })
  return loadConfig({ WAF_CONFIG: 'waf.yaml', WAF_UPSTREAM: upstreamUrl, WAF_RATE_LIMIT_MAX: '0' }, dir).config
}

t.test('every plugin is registered unless plugins says otherwise', async t => {
  const { config } = loadConfig({}, t.testdir({}))
  t.same(config.plugins, { forensic: true, rules: true, access: true, attack: true, heartbeat: true })
})

t.test('plugins.rules: false leaves the rule check out: an attack goes upstream, the logs still run', async t => {
  const up = await upstream(t)
  const config = configFor(t, 'plugins: { rules: false, attack: false }\n', up.url)
  const { base, app } = await gateway(t, config, up.url)
  t.notOk(app.hasDecorator('wafRules'), 'no rules plugin')
  t.ok(app.hasDecorator('wafForensic') && app.hasDecorator('wafHeartbeat'), 'the logs are there')
  const res = await fetch(`${base}/products?id=1%27%20UNION%20SELECT%20password%20FROM%20users--`)
  t.equal(res.status, 200, 'not denied: there is no rule check')
  t.same(up.seen, ['/products?id=1%27%20UNION%20SELECT%20password%20FROM%20users--'])
  const status = await (await fetch(`${base}/__waf/status`)).json() as Record<string, unknown>
  t.ok('heartbeat' in status && 'forensic' in status, 'the status has the registered plugins')
  t.notOk('resultCache' in status, 'and no rule engine')
})

t.test('a gateway with the heartbeat only: its status has no forensic counters, and it counts the request', async t => {
  const up = await upstream(t)
  const config = configFor(t, 'plugins: { forensic: false, rules: false, access: false, attack: false }\n', up.url)
  const { base, app } = await gateway(t, config, up.url)
  for (const d of ['wafForensic', 'wafRules'] as const) t.notOk(app.hasDecorator(d), `no ${d}`)
  t.equal((await fetch(`${base}/a`)).status, 200)
  const status = await (await fetch(`${base}/__waf/status`)).json() as { heartbeat: { domains: Record<string, { ac: number }> }, forensic?: unknown }
  t.notOk('forensic' in status)
  t.equal(status.heartbeat.domains['127.0.0.1']?.ac, 1, 'the heartbeat counted the request before the status one')
})

t.test('the default gateway still denies the same attack (the test above is not vacuous)', async t => {
  const up = await upstream(t)
  const config = configFor(t, '{}\n', up.url)
  const { base } = await gateway(t, config, up.url)
  t.equal((await fetch(`${base}/products?id=1%27%20UNION%20SELECT%20password%20FROM%20users--`)).status, 403)
  t.same(up.seen, [])
})

const refused: Array<[string, string, RegExp]> = [
  ['an unknown plugin', 'plugins: { rule: false }\n', /"plugins.rule" is not a known setting \(known: forensic, rules, access, attack, heartbeat\)/],
  ['a value that is not a boolean', 'plugins: { rules: "no" }\n', /"plugins.rules" must be true or false/],
  ['plugins that is not a mapping', 'plugins: [rules]\n', /"plugins" must be a mapping/],
  ['the section of a plugin left out', 'plugins: { access: false }\naccess: { format: combined }\n', /"plugins.access" must be true \(or left out\) while the "access" section is set/],
  ['rule files with the rules left out', 'plugins: { rules: false }\nrules: { files: [a.conf] }\n', /"plugins.rules" must be true \(or left out\) while the "rules" section is set/],
  ['a domain\'s rules with the rules left out', 'plugins: { rules: false }\ndomains: { shop.example: { rules: true } }\n', /"plugins.rules" must be true \(or left out\) while "domains.shop.example" sets rules/],
  ['metrics without the heartbeat', 'plugins: { heartbeat: false }\nmetrics: { path: /metrics }\n', /"plugins.heartbeat" must be true \(or left out\) while "metrics" is set/]
]
for (const [name, yaml, message] of refused) {
  t.test(`refused: ${name}`, async t => {
    const dir = t.testdir({ 'waf.yaml': yaml })
    t.throws(() => loadConfig({ WAF_CONFIG: 'waf.yaml' }, dir), { name: 'ConfigError', message })
  })
}
