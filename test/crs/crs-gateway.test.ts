import t from 'tap'
import { join } from 'node:path'
import { startAlbedo } from '../helpers/albedo.js'
import { sendRaw } from './client.js'
import { buildCrsGateway } from './gateway.js'
import { readFtwTests } from './ftw-yaml.js'
import { percent, rates, runTests } from './runner.js'
import { corpusMissing, crsTestRules, CRS_DIR } from './setup.js'

/**
 * The CRS's response tests (RESPONSE-95x, 980) through the gateway: the client's request goes
 * through the gateway to an albedo upstream, whose answer reply-from streams back through the
 * response phases. Each response file must pass at least 90% of its tests, as in the app.
 */
const absent = corpusMissing()

if (absent !== undefined) {
  if (process.env.CI !== undefined) t.fail(absent)
  else t.plan(0, absent)
} else {
  t.test('CRS response tests through the gateway, at PL4 in detect mode', async t => {
    const dir = t.testdir()
    const albedo = await startAlbedo()
    t.teardown(() => albedo.close())
    const gw = await buildCrsGateway(dir, crsTestRules(dir), `http://127.0.0.1:${albedo.port}`)
    t.teardown(() => gw.close())
    // A JSON body reaches the upstream as the bytes sent (reply-from would re-encode a Buffer).
    const spec = '{"body":  "as sent"}'
    const direct = await fetch(`http://127.0.0.1:${gw.port}/reflect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: spec })
    t.equal(await direct.text(), 'as sent', 'the upstream reflected the JSON body the client sent')
    const files = readFtwTests(join(CRS_DIR, 'tests')).filter(f => f.group.startsWith('RESPONSE-'))
    const outcomes = await runTests(files, async bytes => {
      const r = await sendRaw(gw.port, bytes, 3000)
      return { status: r.status, error: r.error, ...await gw.outcome(r.id, 2000) }
    }, 16)
    t.ok(outcomes.length >= 60, `${outcomes.length} response tests`)
    for (const g of rates(outcomes)) {
      t.comment(`${g.group.padEnd(40)} ${String(g.passed).padStart(3)}/${String(g.total).padEnd(3)} ${percent(g.passed, g.total)}`)
      t.ok(g.passed >= 0.9 * g.total, `${g.group}: ${percent(g.passed, g.total)} pass (>= 90%)`)
    }
    for (const o of outcomes) if (o.failure !== undefined) t.comment(`failing: ${o.name}: ${o.failure}`)
  })
}
