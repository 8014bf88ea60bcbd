import t from 'tap'
import type { Test } from 'tap'
import { hostname } from 'node:os'
import Fastify from 'fastify'
import { waf, wafServerOptions } from '../../plugins/index.js'
import type { WafOptions } from '../../plugins/index.js'
import type { AccessRecord } from '../../plugins/access-log.js'
import type { AttackRecord } from '../../plugins/attack-log.js'
import type { HeartbeatRecord } from '../../plugins/heartbeat.js'
import { tcpCollector } from '../helpers/collector.js'
import type { Collector } from '../helpers/collector.js'
import { buildRequest, rawRequest } from '../helpers/raw-http.js'
import { accessRecordErrors } from '../schema/access.js'

/** `node` names the machine in every access and attack record and every heartbeat part. */

const fast = { flushInterval: 10 }

interface Logs { access: Collector, attack: Collector, heart: Collector }

async function run (t: Test, extra: Partial<WafOptions>): Promise<{ access: AccessRecord, attack: AttackRecord, heart: HeartbeatRecord }> {
  const logs: Logs = { access: await tcpCollector(), attack: await tcpCollector(), heart: await tcpCollector() }
  const app = Fastify({ ...wafServerOptions() })
  await app.register(waf, {
    transport: { channels: { access: { url: logs.access.url, ...fast }, attack: { url: logs.attack.url, ...fast }, heart: { url: logs.heart.url, ...fast } } },
    forensic: false,
    ...extra
  })
  app.get('/search', async () => 'ok')
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await app.close()
    await Promise.all(Object.values(logs).map(c => c.close()))
  })
  const port = (app.server.address() as { port: number }).port
  const res = await rawRequest(port, buildRequest('GET', '/search?q=1%27%20or%201=1--', [['Host', 'shop.example']]))
  t.equal(res.status, 403)
  app.wafHeartbeat.report()
  const [access] = await logs.access.waitForLines(1)
  const [attack] = await logs.attack.waitForLines(1)
  const [heart] = await logs.heart.waitForLines(1)
  return { access: JSON.parse(access) as AccessRecord, attack: JSON.parse(attack) as AttackRecord, heart: JSON.parse(heart) as HeartbeatRecord }
}

t.test('by default the node is the host name, in all three', async t => {
  const { access, attack, heart } = await run(t, {})
  t.equal(access.node, hostname())
  t.equal(attack.node, hostname())
  t.equal(heart.node, hostname())
  t.same(accessRecordErrors(access), [])
})

t.test('the umbrella\'s node reaches every record; the wire order puts it beside worker and wid', async t => {
  const { access, attack, heart } = await run(t, { node: 'edge-9.dc.example' })
  t.equal(access.node, 'edge-9.dc.example')
  t.equal(attack.node, 'edge-9.dc.example')
  t.equal(heart.node, 'edge-9.dc.example')
  t.same(Object.keys(access).slice(-2), ['worker', 'node'])
  t.same(Object.keys(attack).slice(-2), ['worker', 'node'])
  t.same(Object.keys(heart).slice(0, 6), ['type', 'e', 'ip', 'node', 't', 'wid'])
  t.same(accessRecordErrors(access), [])
})

t.test('a section\'s own node wins over the umbrella\'s', async t => {
  const { access, attack, heart } = await run(t, { node: 'edge-9', heartbeat: { node: 'hb-only' } })
  t.same([access.node, attack.node, heart.node], ['edge-9', 'edge-9', 'hb-only'])
})

t.test('a bad node is an error naming the option', async t => {
  for (const [opts, re] of [
    [{ node: '' }, /^waf: option "node" must be 1 to 253 printable ASCII/],
    [{ node: 'edge 1' }, /^waf: option "node" must be/],
    [{ access: { node: 'é' } }, /^waf-access-log: option "node" must be/],
    [{ heartbeat: { node: 7 } }, /^waf-heartbeat: option "node" must be/]
  ] as Array<[Record<string, unknown>, RegExp]>) {
    const app = Fastify()
    await t.rejects(async () => {
      await app.register(waf, { transport: { channels: { access: 'file:///dev/null', attack: 'file:///dev/null', heart: 'file:///dev/null', forensic: 'file:///dev/null' } }, ...opts } as WafOptions).ready()
    }, re, JSON.stringify(opts))
    await app.close()
  }
})
