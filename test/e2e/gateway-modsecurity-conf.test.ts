import t from 'tap'
import type { Test } from 'tap'
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDemoUpstream } from '../../example-app/upstream.js'
import { browserGet as get, startGateway } from '../helpers/gateway.js'
import { corpusDir } from '../lib/rules/corpus.js'

/**
 * The configuration Debian ships for ModSecurity (libnginx-mod-http-modsecurity's
 * /etc/nginx/modsecurity.conf, which says SecRuleEngine DetectionOnly, with
 * /etc/modsecurity/crs/crs-setup.conf) and a CRS, loaded into the gateway as they are: the
 * gateway starts, says what it loaded and what not, and logs attacks without blocking them.
 */

const MODSEC_CONF = '/etc/nginx/modsecurity.conf'
const DEBIAN_SETUP = '/etc/modsecurity/crs/crs-setup.conf'
const DEBIAN_CRS = '/usr/share/modsecurity-crs/rules'
const crs4 = join(corpusDir(), 'crs')

interface Entry { rule_id: string, action: string, disruptive?: string, logdata?: string, paranoia?: number, file?: string, line?: number }
interface Record { id: string, mode: string, action: string, attacks: Entry[] }

async function detectsWithoutBlocking (t: Test, files: string[]): Promise<void> {
  const dir = t.testdir({})
  const upstream = await startDemoUpstream()
  t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
  writeFileSync(join(dir, 'waf.yaml'), ['rules:', `  files: [${files.map(f => JSON.stringify(f.startsWith('/') ? f : join(dir, f))).join(', ')}]`, ''].join('\n'))
  if (files.includes('crs-setup.conf')) copyFileSync(join(crs4, 'crs-setup.conf.example'), join(dir, 'crs-setup.conf'))
  const gw = await startGateway({ WAF_CONFIG: 'waf.yaml', WAF_UPSTREAM: upstream.url }, dir, 60_000)
  t.teardown(() => gw.stop('SIGKILL'))

  // The one-line summary at start, and the warn-level lines of what does not run.
  t.match(gw.stderr(), /fastify-waflog gateway: rules: \d+ rules, mode detect \(SecRuleEngine at \/etc\/nginx\/modsecurity\.conf:\d+\); SecLang: \d+ rules loaded from \d+ files, \d+ unsupported, .*SecRuleEngine DetectionOnly/)
  t.match(gw.stdout(), /"level":40,.*"msg":"SecLang: \d+ rules not loaded \(unsupported\): \d+/, 'unsupported rules are logged at warn with their first ids')

  const attack = await get(gw.port, '/products?id=1%27%20UNION%20SELECT%20password%20FROM%20users--')
  t.equal(attack.status, 200, 'DetectionOnly: the injection goes through')
  const xss = await get(gw.port, '/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E')
  t.equal(xss.status, 200, 'and so does an XSS that a default rule would deny')
  t.equal((await get(gw.port, '/products?id=42')).status, 200)
  t.equal(await gw.stop('SIGTERM'), 0)

  const records = readFileSync(join(dir, 'logs', 'attack.log'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as Record)
  for (const id of [attack.id, xss.id]) {
    const r = records.find(x => x.id === id)
    t.ok(r, 'the attack is logged')
    t.same([r?.mode, r?.action], ['detect', 'log'], 'the record says detect mode, logged')
    t.ok(r?.attacks.every(a => a.action === 'log'), 'every entry says logged')
  }
  const sqli = records.find(x => x.id === attack.id)?.attacks ?? []
  const scored = sqli.find(a => a.rule_id.startsWith('942'))
  t.ok(scored, sqli.map(a => a.rule_id).join(','))
  t.match(scored, { disruptive: String, logdata: /Matched Data: .* found within ARGS:id: /, paranoia: 1, file: /REQUEST-942-APPLICATION-ATTACK-SQLI\.conf$/, line: Number })
  t.ok(sqli.some(a => a.rule_id === '949110' && a.disruptive === 'deny'), 'the blocking evaluation matched: it would have denied')
}

if (!existsSync(MODSEC_CONF) || !existsSync(DEBIAN_SETUP) || !existsSync(DEBIAN_CRS)) {
  t.plan(0, `Debian's ModSecurity configuration is not installed (${MODSEC_CONF}, ${DEBIAN_SETUP}, ${DEBIAN_CRS}): apt-get install libnginx-mod-http-modsecurity modsecurity-crs`)
} else {
  t.test('Debian\'s modsecurity.conf + crs-setup.conf + CRS 3.3: loads as it is, logs attacks, blocks none', async t => {
    await detectsWithoutBlocking(t, [MODSEC_CONF, DEBIAN_SETUP, DEBIAN_CRS])
  })
  t.test('Debian\'s modsecurity.conf + the CRS v4 (its crs-setup.conf.example): the same', async t => {
    if (!existsSync(join(crs4, 'rules'))) {
      if (process.env.CI !== undefined) t.fail(`the CRS corpus is not at ${crs4}`)
      else t.plan(0, `the CRS corpus is not at ${crs4} (set WAF_CORPUS)`)
      return
    }
    await detectsWithoutBlocking(t, [MODSEC_CONF, 'crs-setup.conf', join(crs4, 'rules')])
  })
}
