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
