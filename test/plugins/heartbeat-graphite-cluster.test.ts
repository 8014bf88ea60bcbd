import t from 'tap'
import { carbonMissing, startCarbon } from '../helpers/carbon.js'
import { requestsByWorker, startCluster } from '../helpers/cluster.js'

/**
 * Two workers of one machine report graphite lines to one carbon-cache at the same moment. With
 * the default prefix `waf.{node}.{wid}` each worker has its own series in whisper: nothing is
 * overwritten, and the sum of the series is every request.
 */

const missing = await carbonMissing()
const NODE = 'edge-1_dc_example' // The fixture's node `edge-1.dc.example`, made one path node.

t.test('two cluster workers, one carbon: each worker\'s series under its own path', { skip: missing }, async t => {
  const carbon = await startCarbon(t.testdir())
  t.teardown(() => carbon.stop())
  const from = Math.floor(Date.now() / 1000) - 1
  const run = await startCluster(t, `tcp://127.0.0.1:${carbon.linePort}`, 2, 'graphite')
  const N = 30
  const answeredBy = await requestsByWorker(run.port, 'cluster.example', N)
  t.equal(answeredBy.size, 2, 'both workers answered')
  // The workers report on close only (their interval is a minute): both in the same second.
  await run.stop()
  const until = Math.floor(Date.now() / 1000) + 1

  const sum = async (metric: string): Promise<number> => {
    const deadline = Date.now() + 10_000
    for (;;) {
      const points = [...(await carbon.fetch(metric, from, until)).values()].filter((v): v is number => v !== null)
      if (points.length > 0 || Date.now() > deadline) return points.reduce((a, b) => a + b, 0)
      await new Promise(resolve => setTimeout(resolve, 200))
    }
  }
  for (const [wid, n] of answeredBy) {
    t.equal(await sum(`waf.${NODE}.${wid}.cluster_example.ac`), n, `waf.${NODE}.${wid}.cluster_example.ac holds the ${n} requests worker ${wid} answered`)
    t.equal(await sum(`waf.${NODE}.${wid}._worker.alive`), 1, `worker ${wid} is alive under its own path`)
  }
})

if (missing !== undefined) t.comment(`skipped: ${missing}`)
