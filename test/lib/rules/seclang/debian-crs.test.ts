import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import '../../../../lib/rules/seclang/index.js'
import { loadRules, RuleEngine, RuleSetBuilder } from '../../../../lib/rules/index.js'
import { logicalLines } from '../../../../lib/rules/seclang/lines.js'
import { reportLines, secLangReport } from '../../../../lib/rules/seclang/index.js'

/**
 * The CRS 3.3 that Debian's modsecurity-crs package installs (installed here and in CI), with
 * its crs-setup.conf, loaded as it is. The counts are those of that package: a change in them
 * means the loader's coverage changed, and the report printed on failure says where.
 */
const RULES = '/usr/share/modsecurity-crs/rules'
const SETUP = '/etc/modsecurity/crs/crs-setup.conf'

if (!existsSync(RULES) || !existsSync(SETUP)) {
  t.plan(0, `Debian modsecurity-crs is not installed (${RULES}, ${SETUP}): apt-get install modsecurity-crs`)
} else {
  const builder = new RuleSetBuilder()
  const started = Date.now()
  const loading = loadRules([SETUP, RULES], builder)

  t.test('Debian CRS 3.3 loads; counts of loaded, unsupported, partial and skipped rules', async t => {
    await loading
    const set = builder.build()
    const r = secLangReport(builder)
    t.comment(`loaded in ${Date.now() - started} ms`)
    for (const line of reportLines(r).slice(0, 1)) t.comment(line)
    // On a mismatch the unsupported rules say what changed (the partial ones are many and long).
    const details = reportLines(r).filter(l => !l.startsWith('partial ')).join('\n')
    t.equal(r.loaded, 615, details)
    t.equal(r.unsupported.length, 19, details) // 920410 (FILES_COMBINED_SIZE) loads
    t.equal(r.partial.length, 126, `${r.partial.length} partially supported`)
    t.equal(r.skipped.length, 0, 'response and logging rules load: phases 3–5 run')
    t.equal(set.rules.length, r.loaded, 'the rule set holds exactly the loaded rules')

    // Every rule with an id in the files is accounted for: loaded, unsupported or skipped.
    let withId = 0
    for (const file of [SETUP, ...readdirSync(RULES).filter(f => f.endsWith('.conf')).map(f => join(RULES, f))]) {
      for (const l of logicalLines(readFileSync(file, 'utf8'))) if (/^Sec(Rule|Action)\b/.test(l.text)) withId += (l.text.match(/["',\s]id:\d+/g) ?? []).length
    }
    t.equal(r.loaded + r.unsupported.length + r.skipped.length, withId, 'no rule vanishes')

    // The PCRE-only regexes, each named with its reason.
    const pcre = Object.fromEntries(r.unsupported.filter(u => u.reason.startsWith('pattern:')).map(u => [u.id, u.reason]))
    t.same(Object.keys(pcre).sort(), ['920120', '920600', '942130', '942260', '953120'])
    t.match(pcre['920120'], /invalid perl operator: \(\?<!/)
    t.match(pcre['942130'], /invalid perl operator: \(\?!/)
    t.match(pcre['920600'], /bad repetition operator: \*\+/)
    t.match(pcre['942260'], /bad repetition operator: \+\+/)
    const reasons = r.unsupported.map(u => `${u.id ?? ''} ${u.reason}`).join('\n')
    t.notOk(r.unsupported.some(u => u.id === '941100' || u.id === '942100'), '941100 (@detectXSS) and 942100 (@detectSQLi) load')
    t.match(reasons, /910100 operator @geoLookup is not supported/)
    t.match(reasons, /912120 no supported target: IP:DOS_BLOCK/)
  })

  t.test('the Debian CRS denies an attack by anomaly score and passes a plain request', async t => {
    await loading
    const engine = new RuleEngine(builder.build(), { mode: 'block' })
    const headers = ['Host', 'shop.example', 'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64)', 'Accept', 'text/html']
    const ok = engine.check({ method: 'GET', url: '/products?id=42&sort=price', rawHeaders: headers, remoteAddress: '203.0.113.5' })
    t.equal(ok.action, 'pass', JSON.stringify(ok.attacks))
    const bad = engine.check({ method: 'GET', url: "/products?id=1'%20UNION%20SELECT%20password%20FROM%20users--", rawHeaders: headers, remoteAddress: '203.0.113.5' })
    t.equal(bad.action, 'deny')
    t.equal(bad.status, 403)
    const ids = bad.attacks.map(a => a.ruleId)
    t.ok(ids.includes('949110'), ids.join(','))
    t.ok(bad.attacks.filter(a => a.ruleId.startsWith('942')).every(a => a.detectType === 'sqli' && (a.score ?? 0) > 0))
  })
}
