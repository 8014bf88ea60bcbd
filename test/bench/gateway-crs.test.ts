import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDemoUpstream } from '../../example-app/upstream.js'
import { corpusDir } from '../lib/rules/corpus.js'
// The built benchmark (`npm test` builds first): its self-check forks dist/bench/child.js.
import { selfCheck } from '../../dist/bench/gateway-crs.js'
import { writeCrsConf } from '../../dist/bench/crs-conf.js'
import { checkSide, problems } from '../../dist/bench/crs-check.js'
import { nginxAvailable, startNginxProxy } from '../../dist/bench/nginx.js'
import { trafficRequests } from '../../dist/bench/traffic-http.js'
import { startCollector } from '../../dist/bench/collector.js'

/**
 * The CRS comparison of bench/gateway measures only peers that run the rules: the self-check
 * sends the traffic mix to the gateway and to nginx + libmodsecurity3, both loading the same
 * SecLang file (Debian's modsecurity.conf, SecRuleEngine On, the CRS v4 at PL1), and finds the
 * attack refused with 403 by the CRS's blocking rule on both and every other request answered
 * 200; and it refuses a peer that does not block (the same file in DetectionOnly).
 */
const crs = join(corpusDir(), 'crs')

if (!nginxAvailable(true)) {
  t.plan(0, 'nginx with ModSecurity is not installed: apt-get install nginx-light libnginx-mod-http-modsecurity')
} else if (!existsSync(join(crs, 'rules'))) {
  if (process.env.CI !== undefined) t.fail(`the CRS corpus is not at ${crs}`)
  else t.plan(0, `the CRS corpus is not at ${crs} (set WAF_CORPUS)`)
} else {
  t.test('both sides run the CRS: the attack gets 403 from rule 949110, the rest 200', async t => {
    const dir = t.testdir({})
    const upstream = await startDemoUpstream()
    t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
    const collector = await startCollector()
    t.teardown(async () => await collector.close())
    const conf = writeCrsConf(dir, 1)
    if (conf === undefined) throw new Error('no CRS found')
    t.equal(conf.label, 'CRS v4 PL1')
    const mix = trafficRequests()
    t.same(mix.map(m => m.name), ['browser GET', 'JSON POST 1 KB', 'form POST 4 KB', 'multipart 64 KB', 'attack'])
    const check = await selfCheck(conf, upstream.url, collector.url, mix, dir)
    t.same(check.problems, [], 'no side refused')
    t.ok(check.modsecurityRules > 500, `ModSecurity loaded the CRS (${check.modsecurityRules} rules)`)
    for (const side of [check.gateway, check.nginx]) {
      t.same(side.map(c => c.status), [200, 200, 200, 200, 403])
      const attack = side[4].rules
      t.ok(attack.includes('949110') && attack.some(id => id.startsWith('942')) && attack.some(id => id.startsWith('941')), `SQLi, XSS and the blocking evaluation: ${attack.join(',')}`)
    }
    // Same rules on the same request: the detection rules each side logged for the attack agree
    // (the gateway also logs the logging-phase correlation rule 980170, which ModSecurity-nginx does not report).
    t.same(check.gateway[4].rules.filter(id => id !== '980170'), check.nginx[4].rules)
  })

  t.test('a peer that does not block is refused', async t => {
    const dir = t.testdir({})
    const upstream = await startDemoUpstream()
    t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
    const conf = writeCrsConf(dir, 1)
    if (conf === undefined) throw new Error('no CRS found')
    const detectOnly = join(dir, 'detect-only.conf')
    writeFileSync(detectOnly, `Include ${conf.file}\nSecRuleEngine DetectionOnly\n`)
    const nginx = await startNginxProxy(upstream.url, { modsecurityRules: detectOnly })
    t.teardown(async () => await nginx.stop())
    const found = problems('nginx + ModSecurity', await checkSide(nginx.port, trafficRequests()))
    t.same(found, ['nginx + ModSecurity: attack answered 200, not 403'])
  })
}
