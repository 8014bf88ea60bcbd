import t from 'tap'
import { buildRequest, openConnection } from '../helpers/raw-http.js'
import { heartTotals, jsonLines, run, stopCleanly } from '../helpers/hostile.js'

/**
 * The issue's own reproduction, with the default timeouts (60 s): a body that never comes, then
 * SIGTERM. The gateway cuts the connection 10 s into its close, logs the request (499, "+" and
 * "-"), sends its final heartbeat and exits 0, within its 15 s deadline.
 */

t.test('a stalled body at SIGTERM, default timeouts: exit 0, the request logged, the final heartbeat', async t => {
  const r = await run(t)
  const c = await openConnection(r.gw.port)
  c.write(buildRequest('POST', '/stall', [['Host', 'shop.example'], ['Content-Type', 'text/plain'], ['Content-Length', '100']]))
  await new Promise(resolve => setTimeout(resolve, 300))
  const started = Date.now()
  await stopCleanly(t, r)
  const took = Date.now() - started
  t.ok(took >= 9000 && took < 15_000, `closed after the 10 s cut, within the 15 s deadline (${took} ms)`)
  await c.closed
  const access = jsonLines(r.log('access'))
  t.same(access.map(a => [a.request.uri, a.response.status]), [['/stall', 499]], 'logged once, as cut')
  t.equal(r.log('forensic').length, 2, '"+" and "-"')
  t.equal(heartTotals(jsonLines(r.log('heartbeat'))).ac, 1, 'counted in the final heartbeat')
})
