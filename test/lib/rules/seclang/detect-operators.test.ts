import t from 'tap'
import { join } from 'node:path'
import '../../../../lib/rules/seclang/index.js'
import { loadRules, RuleEngine, RuleSetBuilder } from '../../../../lib/rules/index.js'
import { secLangReport } from '../../../../lib/rules/seclang/index.js'

/** @detectSQLi and @detectXSS in SecLang, as the CRS writes 942100 and 941100: capture into TX.0 for logdata and msg. */
t.test('@detectSQLi and @detectXSS load and set TX.0 as ModSecurity does', async t => {
  const files = {
    'a.conf': `
SecRule ARGS "@detectSQLi" "id:942100,phase:2,block,capture,t:none,t:urlDecodeUni,msg:'SQL Injection Attack Detected via libinjection: %{TX.0}',logdata:'Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}',tag:'attack-sqli'"
SecRule ARGS "@detectXSS" "id:941100,phase:2,block,capture,t:none,t:utf8toUnicode,t:urlDecodeUni,t:htmlEntityDecode,msg:'XSS via libinjection in %{MATCHED_VAR_NAME}: %{TX.0}',tag:'attack-xss'"
`
  }
  const dir = t.testdir(files)
  const builder = new RuleSetBuilder()
  await loadRules(join(dir, 'a.conf'), builder)
  const report = secLangReport(builder)
  t.equal(report.loaded, 2)
  t.same(report.unsupported, [], 'neither operator is unsupported')
  const engine = new RuleEngine(builder.build(), { mode: 'block' })
  const check = (url: string): ReturnType<RuleEngine['check']> => engine.check({ method: 'GET', url, rawHeaders: ['Host', 'localhost'] })

  const sqli = check("/?q=1'%20or%201=1--")
  const s = sqli.attacks.find(a => a.ruleId === '942100')
  t.equal(s?.msg, 'SQL Injection Attack Detected via libinjection: s&1c', 'TX.0 holds the fingerprint')
  t.equal(s?.detectType, 'sqli')

  const xss = check('/?name=%3Cscript%3Ealert(1)%3C/script%3E')
  const x = xss.attacks.find(a => a.ruleId === '941100')
  t.equal(x?.msg, 'XSS via libinjection in ARGS:name: <script>alert(1)</script>', 'TX.0 holds the value')

  t.same(check('/?q=just%20some%20words&n=42').attacks, [], 'ordinary values pass')
})
