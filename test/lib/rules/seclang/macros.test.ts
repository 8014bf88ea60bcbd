import t from 'tap'
import { compileMacros, expandMacros } from '../../../../lib/rules/seclang/macros.js'
import { parseSetVar, arithmetic, toInt } from '../../../../lib/rules/seclang/setvar.js'

t.test('macros compile into literal and reference parts', async t => {
  const m = compileMacros('Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}')
  t.same(m.parts, ['Matched Data: ', { collection: 'TX', key: '0' }, ' found within ', { collection: 'MATCHED_VAR_NAME' }, ': ', { collection: 'MATCHED_VAR' }])
  t.equal(m.dynamic, true)
  const vals: Record<string, string> = { 'TX.0': '<script>', MATCHED_VAR_NAME: 'ARGS:q', MATCHED_VAR: 'x<script>' }
  t.equal(expandMacros(m, r => vals[r.key === undefined ? r.collection : `${r.collection}.${r.key}`]),
    'Matched Data: <script> found within ARGS:q: x<script>')
})

t.test('keys are case-insensitive, unknown references expand to empty, constants stay', async t => {
  t.same(compileMacros('%{request_headers.Host}').parts, [{ collection: 'REQUEST_HEADERS', key: 'host' }])
  t.equal(expandMacros(compileMacros('a%{tx.none}b'), () => undefined), 'ab')
  const c = compileMacros('plain 100%')
  t.equal(c.dynamic, false)
  t.equal(expandMacros(c, () => 'x'), 'plain 100%')
  t.equal(expandMacros(compileMacros(''), () => 'x'), '')
  t.equal(expandMacros(compileMacros('%{ broken'), () => 'x'), '%{ broken')
})

t.test('setvar forms', async t => {
  t.same(parseSetVar("tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}").setvar!.op, 'add')
  const s = parseSetVar('TX.Blocking_Paranoia_Level=4').setvar!
  t.equal(s.collection, 'TX')
  t.same(s.name.parts, ['blocking_paranoia_level'])
  t.same(s.value.parts, ['4'])
  t.equal(parseSetVar('tx.x=-2').setvar!.op, 'sub')
  t.equal(parseSetVar('!tx.x').setvar!.op, 'unset')
  t.same(parseSetVar('tx.flag').setvar!.value.parts, ['1'])
  t.same(parseSetVar('tx.%{rule.id}-WEB_ATTACK/X=%{MATCHED_VAR}').setvar!.name.parts, [{ collection: 'RULE', key: 'id' }, '-web_attack/x'])
  t.equal(parseSetVar('tx.a=').setvar!.op, 'set')
  t.match(parseSetVar('novar').error, /expected collection.name/)
  t.match(parseSetVar('tx.=1').error, /empty variable name/)
  t.match(parseSetVar('!tx.x=1').error, /an unset takes no value/)
})

t.test('arithmetic reads integers as ModSecurity does', async t => {
  t.equal(arithmetic('5', 'add', '3'), '8')
  t.equal(arithmetic(undefined, 'add', '5'), '5')
  t.equal(arithmetic('x', 'sub', '2'), '-2')
  t.equal(toInt(' 12abc'), 12)
})
