import t from 'tap'
import { CounterTable } from '../../../lib/heartbeat/counters.js'
import { DEFAULT_GRAPHITE_PREFIX, expandGraphitePrefix, graphiteLines, graphiteNode, graphitePrefixProblem, isGraphitePrefix } from '../../../lib/heartbeat/graphite.js'

const identity = { e: '0.1.0', ip: '10.0.0.5', node: 'edge-1.dc.example', wid: 2 }

t.test('one line per counter per domain, then the worker metrics', async t => {
  const table = new CounterTable(10)
  table.count({ domain: 'shop.example', status: 404, bytesIn: 10, bytesOut: 20, upstreamStatus: 404, forwarded: true, attacked: false, bot: true, cc: false })
  table.count({ domain: '[::1]', status: 200, bytesIn: 1, bytesOut: 2, upstreamStatus: 0, forwarded: false, attacked: false, bot: false, cc: false })
  const lines = graphiteLines({ prefix: 'waf', identity, t: 1763764800, counts: table.drain(), transport: { heart: { sent: 5, dropped: 1, reconnects: 0, queued: 2 } } })
  t.same(lines, [
    'waf.___1_.ub 1 1763764800', 'waf.___1_.db 2 1763764800', 'waf.___1_.ac 1 1763764800', 'waf.___1_.4x 0 1763764800',
    'waf.___1_.5x 0 1763764800', 'waf.___1_.u4 0 1763764800', 'waf.___1_.u5 0 1763764800', 'waf.___1_.at 0 1763764800',
    'waf.___1_.ao 0 1763764800', 'waf.___1_.b 0 1763764800', 'waf.___1_.cc 0 1763764800', 'waf.___1_.acu 0 1763764800', 'waf.___1_.rl_err 0 1763764800',
    'waf.shop_example.ub 10 1763764800', 'waf.shop_example.db 20 1763764800', 'waf.shop_example.ac 1 1763764800',
    'waf.shop_example.4x 1 1763764800', 'waf.shop_example.5x 0 1763764800', 'waf.shop_example.u4 1 1763764800',
    'waf.shop_example.u5 0 1763764800', 'waf.shop_example.at 0 1763764800', 'waf.shop_example.ao 0 1763764800', 'waf.shop_example.b 1 1763764800',
    'waf.shop_example.cc 0 1763764800', 'waf.shop_example.acu 1 1763764800', 'waf.shop_example.rl_err 0 1763764800',
    'waf._worker.2.alive 1 1763764800', 'waf._worker.2.domain_num 2 1763764800', 'waf._worker.2.overflow 0 1763764800',
    'waf._worker.2.transport.heart.sent 5 1763764800', 'waf._worker.2.transport.heart.dropped 1 1763764800',
    'waf._worker.2.transport.heart.reconnects 0 1763764800', 'waf._worker.2.transport.heart.queued 2 1763764800'
  ])
})

t.test('an idle interval still says the worker is alive', async t => {
  const lines = graphiteLines({ prefix: 'edge.waf', identity, t: 5, counts: new CounterTable(1).drain(), transport: {} })
  t.same(lines, ['edge.waf._worker.2.alive 1 5', 'edge.waf._worker.2.domain_num 0 5', 'edge.waf._worker.2.overflow 0 5'])
})

t.test('domains whose nodes collide are summed, not overwritten', async t => {
  const table = new CounterTable(10)
  for (const domain of ['a.b', 'a_b', 'a_b']) table.count({ domain, status: 500, bytesIn: 1, bytesOut: 1, upstreamStatus: 0, forwarded: false, attacked: false, bot: false, cc: false })
  const lines = graphiteLines({ prefix: 'waf', identity, t: 1, counts: table.drain(), transport: {} })
  t.ok(lines.includes('waf.a_b.ac 3 1'))
  t.ok(lines.includes('waf.a_b.5x 3 1'))
  t.equal(lines.filter(l => l.startsWith('waf.a_b.ac ')).length, 1)
})

t.test('every line is three space-separated fields with a safe path', async t => {
  const table = new CounterTable(100)
  for (const domain of ['x.example', 'bad host', '', 'evil\nwaf.forged 1 1', 'ok-1.example']) {
    table.count({ domain, status: 200, bytesIn: 1, bytesOut: 1, upstreamStatus: 0, forwarded: false, attacked: false, bot: false, cc: false })
  }
  const lines = graphiteLines({ prefix: 'waf', identity, t: 1, counts: table.drain(), transport: { 'tcp://odd name:1': { sent: 0, dropped: 0, reconnects: 0, queued: 0 } } })
  for (const l of lines) t.match(l, /^waf(\.[A-Za-z0-9_-]+)+ \d+ 1$/, l)
  t.ok(lines.some(l => l.startsWith('waf._invalid.ac 3 ')))
})

t.test('nodes and prefixes', async t => {
  t.equal(graphiteNode('shop.example'), 'shop_example')
  t.equal(graphiteNode(''), '_')
  t.equal(graphiteNode('a b/c'), 'a_b_c')
  t.ok(isGraphitePrefix('waf'))
  t.ok(isGraphitePrefix('edge.waf-1'))
  for (const p of ['', '.waf', 'waf.', 'a..b', 'a b', 'waf\n']) t.notOk(isGraphitePrefix(p), JSON.stringify(p))
})

t.test('the default template: one subtree per machine and worker, the node made one path node', async t => {
  t.same(expandGraphitePrefix(DEFAULT_GRAPHITE_PREFIX, identity), { prefix: 'waf.edge-1_dc_example.2', worker: 'waf.edge-1_dc_example.2._worker' })
  t.same(expandGraphitePrefix('waf', identity), { prefix: 'waf', worker: 'waf._worker.2' }, 'without {wid}, the worker metrics keep the worker id')
  t.same(expandGraphitePrefix('dc1.{node}', { ...identity, node: 'a b/c' }), { prefix: 'dc1.a_b_c', worker: 'dc1.a_b_c._worker.2' })
  const table = new CounterTable(10)
  table.count({ domain: 'shop.example', status: 200, bytesIn: 1, bytesOut: 2, upstreamStatus: 0, forwarded: false, attacked: false, bot: false, cc: false })
  const one = graphiteLines({ prefix: DEFAULT_GRAPHITE_PREFIX, identity, t: 9, counts: table.snapshot(), transport: {} })
  const other = graphiteLines({ prefix: DEFAULT_GRAPHITE_PREFIX, identity: { ...identity, wid: 3 }, t: 9, counts: table.snapshot(), transport: {} })
  const machine = graphiteLines({ prefix: DEFAULT_GRAPHITE_PREFIX, identity: { ...identity, node: 'edge-2' }, t: 9, counts: table.snapshot(), transport: {} })
  t.ok(one.includes('waf.edge-1_dc_example.2.shop_example.ac 1 9'))
  t.ok(one.includes('waf.edge-1_dc_example.2._worker.alive 1 9'))
  const paths = (lines: string[]): Set<string> => new Set(lines.map(l => l.split(' ')[0]))
  for (const [name, lines] of [['another worker', other], ['another machine', machine]] as const) {
    const mine = paths(one)
    t.equal([...paths(lines)].filter(p => mine.has(p)).length, 0, `${name} writes none of the same paths`)
  }
})

t.test('a template is checked with its placeholders filled in', async t => {
  for (const ok of [DEFAULT_GRAPHITE_PREFIX, 'waf', 'edge.waf', '{node}', 'dc1.{node}_w{wid}']) t.equal(graphitePrefixProblem(ok), undefined, ok)
  t.match(graphitePrefixProblem('waf.{host}'), /\{node\} and \{wid\} only, not \{host\}/)
  for (const bad of ['', 'waf.', '.{node}', 'waf.{node}..x', 'waf {wid}', 'waf.{node', 'waf.}']) t.match(graphitePrefixProblem(bad), /must/, JSON.stringify(bad))
})
