import t from 'tap'
import { udpCollector } from '../helpers/collector.js'
import { requestsByWorker, startCluster } from '../helpers/cluster.js'
import type { HeartbeatRecord } from '../../plugins/heartbeat.js'

t.test('two node:cluster workers report their own wid to one UDP collector', async t => {
  const c = await udpCollector()
  t.teardown(() => c.close())
  const run = await startCluster(t, c.url, 2)
  t.equal(run.ports, 1, 'the workers share one port')
  t.same(run.workers.sort(), [1, 2])

  const N = 40
  const answeredBy = await requestsByWorker(run.port, 'cluster.example', N)
  t.equal(answeredBy.size, 2, 'both workers answered')

  // Reports every 200 ms from each worker; wait until the counts add up to every request.
  const deadline = Date.now() + 10_000
  let byWid = new Map<number, number>()
  let wids = new Set<number>()
  while (Date.now() < deadline) {
    const recs = c.lines().map(l => JSON.parse(l) as HeartbeatRecord)
    wids = new Set(recs.map(r => r.wid))
    byWid = new Map()
    for (const r of recs) byWid.set(r.wid, (byWid.get(r.wid) ?? 0) + (r.domains['cluster.example']?.ac ?? 0))
    if ([...byWid.values()].reduce((a, b) => a + b, 0) >= N && wids.size >= 2) break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  t.same([...wids].sort(), [1, 2], 'two wids at one collector')
  for (const [wid, n] of answeredBy) t.equal(byWid.get(wid), n, `worker ${wid} reported exactly the ${n} requests it answered`)
  await run.stop()
})
