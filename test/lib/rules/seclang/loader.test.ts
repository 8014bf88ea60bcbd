import t from 'tap'
import { join } from 'node:path'
import '../../../../lib/rules/seclang/index.js'
import { loadRules, RuleEngine, RuleSetBuilder } from '../../../../lib/rules/index.js'
import type { RequestInput } from '../../../../lib/rules/index.js'
import { configureSecLang, secLangReport, summarize, reportLines, CRS_OPTIONS_RULE_ID } from '../../../../lib/rules/seclang/index.js'
import type { CrsOptions } from '../../../../lib/rules/seclang/index.js'

async function load (files: Record<string, string>, dir: string, opts?: CrsOptions): Promise<{ engine: RuleEngine, builder: RuleSetBuilder }> {
  const builder = new RuleSetBuilder()
  configureSecLang(builder, opts)
  await loadRules(Object.keys(files).filter(f => f.endsWith('.conf')).map(f => join(dir, f)), builder)
  return { engine: new RuleEngine(builder.build(), { mode: 'block' }), builder }
}

const get = (url: string, headers: string[] = []): RequestInput => ({ method: 'GET', url, rawHeaders: ['Host', 'localhost', ...headers], remoteAddress: '203.0.113.9' })

t.test('rules, chains, default actions and logging through the engine', async t => {
  const files = {
    'a.conf': `
SecDefaultAction "phase:1,nolog,pass"
SecDefaultAction "phase:2,log,deny,status:418"
SecRule ARGS "@rx evil" "id:10,phase:2,block,capture,msg:'evil %{TX.0} in %{MATCHED_VAR_NAME}',logdata:'%{MATCHED_VAR}',severity:CRITICAL,tag:'attack-sqli',t:none,t:lowercase"
SecRule ARGS:quiet "@rx x" "id:11,phase:1,pass"
SecRule REQUEST_METHOD "@streq GET" "id:12,phase:1,pass,log,chain"
    SecRule ARGS:a "@beginsWith 1" "chain"
        SecRule &ARGS "@eq 3" "t:none"
`
  }
  const dir = t.testdir(files)
  const { engine, builder } = await load(files, dir)
  const report = secLangReport(builder)
  t.equal(report.loaded, 3)
  t.same(report.unsupported, [])
  const r = engine.check(get('/p?q=EVIL&a=1&quiet=x'))
  t.equal(r.action, 'deny')
  t.equal(r.status, 418, 'block takes the phase-2 SecDefaultAction and its status')
  const evil = r.attacks.find(a => a.ruleId === '10')!
  t.equal(evil.msg, 'evil evil in ARGS:q', 'capture and macros, after t:lowercase')
  t.equal(evil.detectType, 'sqli')
  t.equal(evil.severity, 'critical')
  t.notOk(r.attacks.some(a => a.ruleId === '11'), 'nolog inherited from SecDefaultAction phase 1')
  t.ok(r.attacks.some(a => a.ruleId === '12'), 'a three-link chain matches')
  t.notOk(engine.check(get('/p?a=1')).attacks.some(a => a.ruleId === '12'), 'and fails when one link fails')
})

t.test('anomaly scoring as the CRS does it: setvar, macros, threshold rule, score in the attack entry', async t => {
  const files = {
    'setup.conf': `
SecAction "id:900000,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=1"
SecAction "id:900110,phase:1,pass,nolog,setvar:tx.inbound_anomaly_score_threshold=5"
`,
    'rules.conf': `
SecAction "id:901100,phase:1,pass,nolog,setvar:tx.critical_anomaly_score=5,setvar:tx.warning_anomaly_score=3,setvar:tx.inbound_anomaly_score_pl1=0,setvar:tx.inbound_anomaly_score_pl2=0"
SecRule TX:BLOCKING_PARANOIA_LEVEL "@lt 2" "id:920013,phase:2,pass,nolog,skipAfter:END-PL2"
SecRule ARGS "@contains pl2" "id:920300,phase:2,block,setvar:'tx.inbound_anomaly_score_pl2=+%{tx.critical_anomaly_score}'"
SecMarker "END-PL2"
SecRule ARGS "@contains warn" "id:920200,phase:2,block,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.warning_anomaly_score}'"
SecRule ARGS "@contains crit" "id:920210,phase:2,block,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecAction "id:949060,phase:2,pass,nolog,setvar:'tx.blocking_inbound_anomaly_score=%{tx.inbound_anomaly_score_pl1}'"
SecRule TX:BLOCKING_PARANOIA_LEVEL "@ge 2" "id:949061,phase:2,pass,nolog,setvar:'tx.blocking_inbound_anomaly_score=+%{tx.inbound_anomaly_score_pl2}'"
SecRule TX:BLOCKING_INBOUND_ANOMALY_SCORE "@ge %{tx.inbound_anomaly_score_threshold}" "id:949110,phase:2,deny,msg:'Inbound Anomaly Score Exceeded (Total Score: %{TX.BLOCKING_INBOUND_ANOMALY_SCORE})'"
`
  }
  const dir = t.testdir(files)
  const { engine } = await load(files, dir)
  const warn = engine.check(get('/?a=warn'))
  t.equal(warn.action, 'log', 'a warning (3) stays under the threshold (5)')
  t.same(warn.attacks.map(a => [a.ruleId, a.score]), [['920200', 3]])
  const both = engine.check(get('/?a=warn&b=crit'))
  t.equal(both.action, 'deny')
  t.same(both.attacks.map(a => [a.ruleId, a.score]), [['920200', 3], ['920210', 5], ['949110', undefined]])
  t.equal(both.attacks[2]!.msg, 'Inbound Anomaly Score Exceeded (Total Score: 8)')
  t.notOk(engine.check(get('/?a=pl2')).attacks.some(a => a.ruleId === '920300'), 'paranoia level 2 rules are skipped at PL1')

  const { engine: pl2 } = await load(files, dir, { paranoia: 2, anomalyThreshold: 100 })
  const r = pl2.check(get('/?a=pl2&b=crit'))
  t.same(r.attacks.map(a => a.ruleId), ['920300', '920210'], 'the options override crs-setup: PL2 runs, and 10 < 100 does not block')
  t.equal(r.action, 'log')
})

t.test('the CRS options rule sits right before REQUEST-901 so it wins over crs-setup and 901 keeps its defaults', async t => {
  const files = {
    'setup.conf': 'SecAction "id:900000,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=1"\n',
    'rules.conf': `
SecRule &TX:blocking_paranoia_level "@eq 0" "id:901120,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=1"
SecRule &TX:detection_paranoia_level "@eq 0" "id:901125,phase:1,pass,nolog,setvar:tx.detection_paranoia_level=%{TX.blocking_paranoia_level}"
SecRule &TX:arg_length "@eq 0" "id:901126,phase:1,pass,nolog,setvar:tx.arg_length=0"
SecRule TX:DETECTION_PARANOIA_LEVEL "@eq 3" "id:1,phase:1,pass,log,msg:'PL %{tx.blocking_paranoia_level}/%{tx.detection_paranoia_level} %{tx.arg_length}'"
`
  }
  const dir = t.testdir(files)
  const { engine, builder } = await load(files, dir, { paranoia: 2, detectionParanoia: 3, tx: { arg_length: 400 } })
  const ids = builder.build().rules.map(r => r.id)
  t.same(ids, ['900000', String(CRS_OPTIONS_RULE_ID), '901120', '901125', '901126', '1'])
  t.equal(engine.check(get('/')).attacks[0]?.msg, 'PL 2/3 400')
})

t.test('ctl, skipAfter, exclusions and updates', async t => {
  const files = {
    'a.conf': `
SecRule REQUEST_FILENAME "@beginsWith /admin" "id:100,phase:1,pass,nolog,ctl:ruleRemoveById=200"
SecRule REQUEST_FILENAME "@beginsWith /search" "id:101,phase:1,pass,nolog,ctl:ruleRemoveTargetById=200;ARGS:q"
SecRule REQUEST_HEADERS:X-Skip "@streq 1" "id:102,phase:1,pass,nolog,chain"
    SecRule REQUEST_METHOD "@streq GET" "ctl:ruleRemoveByTag=skipme"
SecRule ARGS "@rx attack" "id:200,phase:1,block,tag:'skipme'"
SecRule ARGS|!ARGS:safe "@rx attack" "id:201,phase:1,block"
SecRule ARGS "@rx attack" "id:202,phase:1,block"
SecRule ARGS "@rx attack" "id:203,phase:1,block,tag:'gone'"
SecRuleUpdateTargetById 202 "!ARGS:other"
SecRuleUpdateActionById 201 "msg:'updated',severity:WARNING"
SecRuleRemoveByTag "^gone$"
`
  }
  const dir = t.testdir(files)
  const { engine, builder } = await load(files, dir)
  t.equal(secLangReport(builder).removed, 1)
  const ids = (url: string, h: string[] = []): string[] => engine.check(get(url, h)).attacks.map(a => a.ruleId)
  t.same(ids('/x?q=attack'), ['200', '201', '202'])
  t.same(ids('/admin?q=attack'), ['201', '202'], 'ctl:ruleRemoveById')
  t.same(ids('/search?q=attack&z=attack'), ['200', '201', '202'])
  t.same(engine.check(get('/search?q=attack')).attacks.map(a => a.ruleId), ['201', '202'], 'ctl:ruleRemoveTargetById removes one target')
  t.same(ids('/x?safe=attack'), ['200', '202'], '! exclusion in the rule')
  t.same(ids('/x?other=attack'), ['200', '201'], 'SecRuleUpdateTargetById')
  t.same(ids('/x?q=attack', ['X-Skip', '1']), ['201', '202'], 'ctl on the last chain link')
  t.equal(engine.check(get('/x?q=attack')).attacks.find(a => a.ruleId === '201')!.msg, 'updated')
})

t.test('unsupported, partial, skipped and ignored constructs are reported, never fatal, never silent', async t => {
  const files = {
    'a.conf': `
SecRuleEngine DetectionOnly
SecRequestBodyAccess On
SecRule ARGS "@detectSQLi" "id:1,phase:2,block"
SecRule RESPONSE_BODY "@rx secret" "id:2,phase:4,block"
SecRule RESPONSE_HEADERS "@rx x" "id:3,phase:2,block"
SecRule ARGS "@rx (?<=a)b" "id:4,phase:2,block"
SecRule ARGS "@rx ok" "id:5,phase:2,block,initcol:ip=%{remote_addr},setvar:ip.score=+1,ctl:auditLogParts=+E"
SecRule ARGS|RESPONSE_BODY "@rx ok2" "id:6,phase:2,block"
SecRule ARGS "@rx x" "id:7,phase:2,block,exec:/bin/true"
SecRule ARGS "@rx x" "id:8,phase:2,block,frobnicate"
SecRule ARGS "@geoLookup" "id:9,phase:2,block"
SecRule ARGS "@rx x" "id:5,phase:2,block"
SecRule ARGS "@rx x" "id:10,phase:2,block,t:noSuchTransform"
SecRule ARGS "@rx (" "id:11
SecAction "id:12,phase:5,pass"
SecRule ARGS "@rx x" "phase:2,block"
SecRule XML:/root/a "@rx x" "id:13,phase:2,block"
SecRule ARGS "@rx x" "id:14,phase:2,pass,auditlog,sanitiseArg:password"
`
  }
  const dir = t.testdir(files)
  const { engine, builder } = await load(files, dir)
  const r = secLangReport(builder)
  const by = (list: typeof r.unsupported): Record<string, string> => Object.fromEntries(list.map(i => [i.id ?? `line ${i.line}`, i.reason]))
  const unsupported = by(r.unsupported)
  t.match(unsupported, {
    4: /pattern: rx "\(\?<=a\)b": invalid perl operator/,
    7: /exec runs an external program/,
    8: /unknown action "frobnicate"/,
    9: /operator @geoLookup is not supported/,
    5: /duplicate id/,
    10: /unknown transformation "noSuchTransform"/,
    'line 17': /id: missing id/,
    13: /XPath other than/
  })
  t.same(r.skipped.map(i => i.id), [], 'response and logging rules (2, 3, 12) load: phases 3–5 run')
  const partial = by(r.partial)
  t.match(partial['5'], /initcol:ip=%\{remote_addr\} dropped.*setvar:ip\.score=\+1 dropped.*ctl:auditLogParts=\+E ignored/)
  t.equal(partial['6'], undefined, 'RESPONSE_BODY is a target like any other')
  t.same(r.ignoredActions, { auditlog: 1, sanitisearg: 1 })
  const ignored = r.ignored.map(i => `${i.line} ${i.reason}`)
  t.same(r.notices.map(i => `${i.line} ${i.reason}`), ['2 SecRuleEngine DetectionOnly: matches are logged, no request is denied, whatever the mode option says'])
  t.equal(r.ruleEngine, 'DetectionOnly')
  t.ok(ignored.some(i => i.startsWith('15 syntax: unterminated double-quoted argument')))
  t.equal(unsupported['1'], undefined, '@detectSQLi (libinjection) is supported')
  t.equal(r.loaded, 7, 'rules 1, 2, 3, 5, 6, 12 and 14 load')
  t.match(summarize(r), /^SecLang: 7 rules loaded from 1 files, 8 unsupported, 1 partially supported, 0 skipped/)
  t.ok(reportLines(r).some(l => l.startsWith('unsupported ') && l.includes('a.conf:12 rule 9: operator @geoLookup')))
  t.same(engine.check({ ...get('/?a=ok&b=ok2') }).attacks.map(a => a.ruleId), ['5', '6'], 'partial rules still run')
})

t.test('Include, pmFromFile beside the rule file, XML, ipMatch', async t => {
  const files = {
    'main.conf': 'Include sub/*.conf\nIncludeOptional missing/*.conf\nInclude nothere.conf\n',
    sub: {
      'a.conf': `
SecRule ARGS "@pmFromFile words.data" "id:1,phase:2,block"
SecRule XML:/* "@contains secret" "id:2,phase:2,block"
SecRule XML://@* "@contains attr" "id:3,phase:2,block"
SecRule REMOTE_ADDR "@ipMatch 203.0.113.0/24" "id:4,phase:1,pass,log"
SecRule REQUEST_HEADERS:User-Agent "@validateByteRange 32-126" "id:5,phase:1,pass,log"
`,
      'words.data': '# words\nbad phrase\nworse\n'
    }
  }
  const dir = t.testdir(files)
  const builder = new RuleSetBuilder()
  await loadRules(join(dir, 'main.conf'), builder)
  const r = secLangReport(builder)
  t.equal(r.loaded, 5)
  t.same(r.files.map(f => f.slice(dir.length + 1)), ['main.conf', 'sub/a.conf'])
  t.same(r.ignored.map(i => i.reason), ['Include nothere.conf: ENOENT'])
  const engine = new RuleEngine(builder.build(), { mode: 'detect' })
  const xml = '<doc a="attr value"><x>top secret</x></doc>'
  const res = engine.check({
    method: 'POST',
    url: '/?q=a%20BAD%20PHRASE',
    rawHeaders: ['Host', 'h', 'Content-Type', 'application/xml', 'User-Agent', 'caf\xc3\xa9'],
    remoteAddress: '::ffff:203.0.113.7',
    body: { raw: xml }
  })
  t.same(res.attacks.map(a => [a.ruleId, a.location]), [['4', 'REMOTE_ADDR'], ['5', 'REQUEST_HEADERS:User-Agent'], ['1', 'ARGS:q'], ['2', 'XML:/*'], ['3', 'XML://@*']])
  const plain = engine.check({ method: 'POST', url: '/', rawHeaders: ['Content-Type', 'text/plain'], remoteAddress: '10.0.0.1', body: { raw: xml } })
  t.same(plain.attacks.map(a => a.ruleId), [], 'XML is read only for an XML content type')
})

t.test('XML is read when any Content-Type header says XML (go-ftw sends two)', async t => {
  const files = { 'a.conf': 'SecRule XML:/* "@rx ^ftp://" "id:1,phase:2,block,t:none,t:urlDecodeUni"\n' }
  const dir = t.testdir(files)
  const { engine } = await load(files, dir)
  const r = engine.check({
    method: 'POST',
    url: '/api/',
    rawHeaders: ['Content-Type', 'application/x-www-form-urlencoded', 'Content-type', 'application/xml'],
    body: { form: '<a>ftp%3A%2F%2F1.1.1.1</a>', raw: '<a>ftp%3A%2F%2F1.1.1.1</a>' }
  })
  t.same(r.attacks.map(a => [a.ruleId, a.location]), [['1', 'XML:/*']])
})
