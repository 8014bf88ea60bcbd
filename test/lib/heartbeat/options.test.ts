import os from 'node:os'
import t from 'tap'
import { resolveHeartbeatOptions, HEARTBEAT_DEFAULTS } from '../../../lib/heartbeat/options.js'
import type { HeartbeatOptions } from '../../../lib/heartbeat/options.js'

t.test('defaults', async t => {
  t.same(resolveHeartbeatOptions('waf-heartbeat', {}), {
    channel: 'heart', intervalMs: 10000, edition: undefined, ip: undefined, workerId: undefined, node: os.hostname(), maxPacketBytes: undefined,
    format: 'json', maxDomains: HEARTBEAT_DEFAULTS.maxDomains, graphitePrefix: 'waf.{node}.{wid}'
  })
})

t.test('every bad option is named in the error', async t => {
  const bad: Array<[string, unknown]> = [
    ['channel', ''], ['channel', 3], ['channel', null],
    ['interval', 0], ['interval', 9], ['interval', 1.5], ['interval', '10s'], ['interval', 2 ** 31],
    ['edition', ''], ['edition', 'a b'], ['edition', 'x'.repeat(65)], ['edition', 'v\n1'], ['edition', 1],
    ['ip', 'localhost'], ['ip', '10.0.0.256'], ['ip', 7],
    ['workerId', -1], ['workerId', 1.5], ['workerId', '1'],
    ['maxPacketBytes', 511], ['maxPacketBytes', 1e9], ['maxPacketBytes', 1000.5],
    ['format', 'xml'], ['format', null],
    ['maxDomains', 0], ['maxDomains', null], ['maxDomains', 2e6], ['maxDomains', Infinity],
    ['graphitePrefix', ''], ['graphitePrefix', 'a b'], ['graphitePrefix', 'waf.'], ['graphitePrefix', 3],
    ['graphitePrefix', 'waf.{host}.{wid}'], ['graphitePrefix', 'waf.{node}..{wid}'], ['graphitePrefix', 'waf.{node'], ['graphitePrefix', '{wid}.'],
    ['node', ''], ['node', 'edge 1'], ['node', 'é'], ['node', 'x'.repeat(254)], ['node', 1]
  ]
  for (const [k, v] of bad) {
    t.throws(() => resolveHeartbeatOptions('waf-heartbeat', { [k]: v } as unknown as HeartbeatOptions),
      { name: 'TypeError', message: new RegExp(`^waf-heartbeat: option "${k}" must be `) }, `${k}: ${String(v)}`)
  }
})

t.test('good values pass through', async t => {
  const r = resolveHeartbeatOptions('x', { channel: 'hb', interval: 10, edition: '1.2.3-rc.1', ip: '::1', workerId: 0, node: 'edge-1.dc.example', maxPacketBytes: 512, format: 'graphite', maxDomains: 1, graphitePrefix: 'edge.waf' })
  t.same(r, { channel: 'hb', intervalMs: 10, edition: '1.2.3-rc.1', ip: '::1', workerId: 0, node: 'edge-1.dc.example', maxPacketBytes: 512, format: 'graphite', maxDomains: 1, graphitePrefix: 'edge.waf' })
  t.equal(resolveHeartbeatOptions('x', { graphitePrefix: 'dc1.{node}_w{wid}' }).graphitePrefix, 'dc1.{node}_w{wid}')
})
