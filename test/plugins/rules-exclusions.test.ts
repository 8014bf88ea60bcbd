import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { wafSocket } from '../../plugins/socket.js'
import { wafRules } from '../../plugins/rules.js'
import type { WafRulesOptions } from '../../plugins/rules.js'
import { wafServerOptions } from '../../plugins/core.js'

/**
 * Exclusions reach every rule, whatever the load order: SecRuleRemoveById before or after the
 * rules it removes, ctl:ruleRemoveById / ctl:ruleRemoveTargetById from an exclusion file loaded
 * before them, and the plugin's `exclusions`, against the default rules and the CRS alike.
 */

const SETUP = '/etc/modsecurity/crs/crs-setup.conf'
const CRS = '/usr/share/modsecurity-crs/rules'
/** Rule 100101 (default rules) and 942190 (CRS) both match this in ARGS:q. */
const SQLI = "/search?q=1'%20UNION%20SELECT%20password%20FROM%20users--"
const UA = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)', accept: 'text/html' }

async function idsFor (t: Test, opts: WafRulesOptions, urls: string[], files: Record<string, string> = {}): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'waf-excl-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  const rules = (Array.isArray(opts.rules) ? opts.rules : opts.rules === undefined ? [] : [opts.rules]).map(f => f.startsWith('/') ? f : join(dir, f))
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: {} })
  await app.register(wafRules, { ...opts, mode: 'detect', ...(rules.length > 0 ? { rules } : {}) })
  const seen: string[][] = []
  app.addHook('onResponse', async request => { seen.push(request.waf?.attacks.map(a => a.ruleId) ?? ['no waf context']) })
  app.get('/*', async () => 'ok')
  t.teardown(() => app.close())
  for (const url of urls) await app.inject({ url, headers: { host: 'shop.example', ...UA } })
  return seen
}

t.test('the default rules: a user file (loaded before them) removes and excludes them', async t => {
  const [plain] = await idsFor(t, {}, [SQLI])
  t.ok(plain!.includes('100101'), `the default rule matches (${plain!.join(',')})`)

  const [removed] = await idsFor(t, { rules: 'x.conf' }, [SQLI], { 'x.conf': 'SecRuleRemoveById 100101\n' })
  t.notOk(removed!.includes('100101'), 'SecRuleRemoveById')

  const ctl = await idsFor(t, { rules: 'x.conf' }, [SQLI, SQLI.replace('/search', '/cms/search')], {
    'x.conf': 'SecRule REQUEST_URI "@beginsWith /cms/" "id:10,phase:1,pass,nolog,ctl:ruleRemoveById=100101"\n'
  })
  t.same([ctl[0]!.includes('100101'), ctl[1]!.includes('100101')], [true, false], 'ctl:ruleRemoveById under /cms only')

  const target = await idsFor(t, { rules: 'x.conf' }, [SQLI, SQLI.replace('?q=', '?other=')], {
    'x.conf': 'SecRule REQUEST_URI "@beginsWith /" "id:11,phase:1,pass,nolog,ctl:ruleRemoveTargetById=100101;ARGS:q"\n'
  })
  t.same([target[0]!.includes('100101'), target[1]!.includes('100101')], [false, true], 'ctl:ruleRemoveTargetById: ARGS:q only')

  const [option] = await idsFor(t, { exclusions: [{ ruleId: 100101 }] }, [SQLI])
  t.notOk(option!.includes('100101'), 'the plugin\'s exclusions')
})

if (!existsSync(SETUP) || !existsSync(CRS)) {
  t.test('the CRS', async t => {
    if (process.env.CI !== undefined) t.fail(`Debian's CRS is not installed (${SETUP}, ${CRS})`)
    else t.plan(0, `Debian's CRS is not installed (${SETUP}, ${CRS}): apt-get install modsecurity-crs`)
  })
} else {
  t.test('the CRS: SecRuleRemoveById before and after it, ctl from a REQUEST-900 style file, and exclusions', async t => {
    const base: WafRulesOptions = { defaultRules: false }
    const [plain] = await idsFor(t, { ...base, rules: [SETUP, CRS] }, [SQLI])
    t.ok(plain!.includes('942190') && plain!.includes('949110'), `the CRS rule matches (${plain!.join(',')})`)

    const removal = { 'x.conf': 'SecRuleRemoveById 942190\n' }
    const [before] = await idsFor(t, { ...base, rules: [SETUP, 'x.conf', CRS] }, [SQLI], removal)
    const [after] = await idsFor(t, { ...base, rules: [SETUP, CRS, 'x.conf'] }, [SQLI], removal)
    t.same([before!.includes('942190'), after!.includes('942190')], [false, false], 'SecRuleRemoveById before and after the CRS')
    t.ok([before!, after!].every(ids => ids.some(id => id.startsWith('942') && id !== '942190')), `other rules still run (${before!.join(',')})`)

    const ctl = await idsFor(t, { ...base, rules: [SETUP, 'REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf', CRS] }, [SQLI, SQLI.replace('/search', '/cms/search')], {
      'REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf': 'SecRule REQUEST_FILENAME "@beginsWith /cms/" "id:1000,phase:1,pass,nolog,ctl:ruleRemoveById=942190"\n'
    })
    t.same([ctl[0]!.includes('942190'), ctl[1]!.includes('942190')], [true, false], 'ctl:ruleRemoveById from the before-CRS file')

    const [option] = await idsFor(t, { ...base, rules: [SETUP, CRS], exclusions: [{ ruleId: '942190-942191', target: 'ARGS:q' }] }, [SQLI])
    t.notOk(option!.includes('942190'), 'the plugin\'s exclusions (a target of a range)')
  })
}

t.test('domainRules: a domain with its own rule files gets its own engine', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'waf-domain-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'lab.conf'), 'SecRuleEngine DetectionOnly\nSecRuleRemoveById 100301\n')
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: {} })
  await app.register(wafRules, { mode: 'block', domainRules: { 'Lab.Example': join(dir, 'lab.conf') } })
  app.get('/*', async () => 'ok')
  t.teardown(() => app.close())
  const status = async (host: string, url: string): Promise<number> => (await app.inject({ url, headers: { host, ...UA } })).statusCode
  t.same([await status('shop.example', SQLI), await status('lab.example', SQLI), await status('lab.example:8080', SQLI)], [403, 200, 200], 'the lab domain is DetectionOnly')
  t.same([...app.wafRules.domains.keys()], ['lab.example'])
  t.equal(app.wafRules.domains.get('lab.example')?.seclang?.ruleEngine, 'DetectionOnly')
  t.ok(app.wafRules.domains.get('lab.example')?.engine.ruleSet.rules.every(r => r.id !== '100301'), 'its SecRuleRemoveById reaches the default rules')
  t.ok(app.wafRules.ruleSet.rules.some(r => r.id === '100301'), 'other domains keep the rule')
  await t.rejects(async () => { await Fastify().register(wafSocket, { channels: {} }).register(wafRules, { domainRules: { x: [] } }).ready() }, /option "domainRules.x" must be a path/)
})
