import t from 'tap'
import { crsSetVars, validateCrsOptions } from '../../../../lib/rules/seclang/options.js'

t.test('valid options become the TX variables crs-setup.conf would set', async t => {
  t.same(crsSetVars(validateCrsOptions({ paranoia: 2 })), ['tx.blocking_paranoia_level=2', 'tx.detection_paranoia_level=2'])
  t.same(crsSetVars(validateCrsOptions({ paranoia: 1, detectionParanoia: 3, anomalyThreshold: 10, tx: { Arg_Length: 400, enforce_bodyproc_urlencoded: true } })), [
    'tx.arg_length=400', 'tx.enforce_bodyproc_urlencoded=1', 'tx.blocking_paranoia_level=1', 'tx.detection_paranoia_level=3', 'tx.inbound_anomaly_score_threshold=10'
  ])
  t.same(crsSetVars(validateCrsOptions({ outboundAnomalyThreshold: 8 })), ['tx.outbound_anomaly_score_threshold=8'])
  t.same(crsSetVars(validateCrsOptions({})), [])
})

t.test('invalid options throw, naming the option', async t => {
  t.throws(() => validateCrsOptions(null), /waf-rules: option "crs" must be an object/)
  t.throws(() => validateCrsOptions({ paranoia: 5 }), /option "crs\.paranoia" must be 1, 2, 3 or 4/)
  t.throws(() => validateCrsOptions({ paranoia: '2' }), /option "crs\.paranoia" must be 1, 2, 3 or 4/)
  t.throws(() => validateCrsOptions({ paranoia: 3, detectionParanoia: 2 }), /option "crs\.detectionParanoia" must be at least paranoia \(3\)/)
  t.throws(() => validateCrsOptions({ anomalyThreshold: 0 }), /option "crs\.anomalyThreshold" must be a whole number >= 1/)
  t.throws(() => validateCrsOptions({ outboundAnomalyThreshold: 1.5 }), /option "crs\.outboundAnomalyThreshold" must be a whole number >= 1/)
  t.throws(() => validateCrsOptions({ tx: { 'bad name': 1 } }), /option "crs\.tx\.bad name" is not a TX variable name/)
  t.throws(() => validateCrsOptions({ tx: { a: 'x\ny' } }), /option "crs\.tx\.a" must be one line/)
  t.throws(() => validateCrsOptions({ tx: { a: {} } }), /option "crs\.tx\.a" must be a string, number or boolean/)
  t.throws(() => validateCrsOptions({ paranoya: 1 }), /option "crs\.paranoya" is not an option/)
})

t.test('rules above the paranoia level set are left out at load, and the report counts them', async t => {
  const { RuleEngine, RuleSetBuilder } = await import('../../../../lib/rules/index.js')
  const { configureSecLang, loadSecLangRules, secLangReport, summarize } = await import('../../../../lib/rules/seclang/index.js')
  const conf = [
    'SecRule &TX:detection_paranoia_level "@eq 0" "id:901125,phase:1,pass,nolog,setvar:tx.detection_paranoia_level=1"',
    'SecRule TX:DETECTION_PARANOIA_LEVEL "@lt 1" "id:942011,phase:2,pass,nolog,skipAfter:END-942"',
    'SecRule ARGS "@contains evil1" "id:942100,phase:2,pass,log,msg:\'level 1\'"',
    'SecRule TX:DETECTION_PARANOIA_LEVEL "@lt 2" "id:942013,phase:2,pass,nolog,skipAfter:END-942"',
    'SecRule ARGS "@contains evil2" "id:942200,phase:2,pass,log,msg:\'level 2\'"',
    'SecMarker "END-942"'
  ].join('\n')
  const found = (paranoia: number | undefined): { left: number, summary: string, hits: string[] } => {
    const b = new RuleSetBuilder()
    configureSecLang(b, paranoia === undefined ? undefined : { paranoia })
    loadSecLangRules('REQUEST-901-INITIALIZATION.conf', conf, b)
    const set = b.build()
    const r = secLangReport(b)
    const hits = new RuleEngine(set, { mode: 'detect' }).check({ method: 'POST', url: '/', rawHeaders: ['Host', 'a'], body: { form: 'a=evil1&b=evil2' } }).matches.map(m => m.rule.id).filter(id => id.startsWith('942'))
    return { left: r.unreachable, summary: summarize(r), hits }
  }
  const one = found(1)
  t.equal(one.left, 2, 'the @lt 1 guard (never matches) and the level-2 rule')
  t.match(one.summary, /, 2 never run at the paranoia level set \(left out\)/)
  t.same(one.hits, ['942100', '942013'], 'level 1 runs, the guard skips level 2')
  const two = found(2)
  t.same([two.left, two.hits], [2, ['942100', '942200']], 'at 2 both guards never match: every rule runs')
  const own = found(undefined)
  t.same([own.left, own.hits], [2, ['942100', '942013']], 'the file\'s own default (1) is fixed as well')
})
