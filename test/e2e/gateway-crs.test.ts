import t from 'tap'
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDemoUpstream } from '../../example-app/upstream.js'
import { browserGet as get, startGateway } from '../helpers/gateway.js'
import { corpusDir } from '../lib/rules/corpus.js'

/** The gateway pointed at the OWASP CRS from its configuration file, as an operator would run it. */

const crs = join(corpusDir(), 'crs')

if (!existsSync(join(crs, 'rules'))) {
  t.plan(0, `the CRS corpus is not at ${crs} (set WAF_CORPUS)`)
} else {
  t.test('CRS at paranoia 1 from the config file: an injection is denied by 949110, a plain request passes', async t => {
    const dir = t.testdir({})
    const upstream = await startDemoUpstream()
    t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
    // As the CRS install says: crs-setup.conf is a copy of the shipped example.
    copyFileSync(join(crs, 'crs-setup.conf.example'), join(dir, 'crs-setup.conf'))
    writeFileSync(join(dir, 'waf.yaml'), [
      'rules:',
      '  defaultRules: false',
      `  files: [crs-setup.conf, "${join(crs, 'rules')}"]`,
      '  crs: { paranoia: 1, anomalyThreshold: 5 }',
      ''
    ].join('\n'))
    const gw = await startGateway({ WAF_CONFIG: 'waf.yaml', WAF_UPSTREAM: upstream.url }, dir)
    t.teardown(() => gw.stop('SIGKILL'))

    t.equal((await get(gw.port, '/products?id=42')).status, 200, 'a plain request passes')
    const denied = await get(gw.port, '/products?id=1%27%20UNION%20SELECT%20password%20FROM%20users--')
    t.equal(denied.status, 403)
    t.equal(await gw.stop('SIGTERM'), 0)

    const attacks = readFileSync(join(dir, 'logs', 'attack.log'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as { id: string, action: string, attacks: Array<{ rule_id: string, score?: number }> })
    const record = attacks.find(a => a.id === denied.id)
    t.ok(record, 'the denied request has its attack line')
    t.equal(record?.action, 'deny')
    const ids = record?.attacks.map(a => a.rule_id) ?? []
    t.ok(ids.includes('949110'), `the blocking evaluation denied it (${ids.join(', ')})`)
    t.ok(record?.attacks.some(a => a.rule_id.startsWith('942') && (a.score ?? 0) > 0), 'an SQLi rule matched with its score')
  })
}
