import t from 'tap'
import type { Test } from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import '../../../../lib/rules/seclang/index.js'
import { compileRule, loadRules, RuleEngine, RuleSetBuilder } from '../../../../lib/rules/index.js'
import type { EngineOptions, RequestInput } from '../../../../lib/rules/index.js'
import { DirectiveError, secLangReport, warningLines } from '../../../../lib/rules/seclang/index.js'

/** Each SecLang configuration directive: honoured (its effect seen through the engine), accepted with a notice, or refused with file and line. */

let n = 0
async function load (t: Test, text: string, opts: EngineOptions = { mode: 'block' }, builder = new RuleSetBuilder()): Promise<{ engine: RuleEngine, builder: RuleSetBuilder, file: string }> {
  const dir = t.testdir({})
  const file = join(dir, `r${n++}.conf`)
  writeFileSync(file, text)
  await loadRules(file, builder)
  return { engine: new RuleEngine(builder.build(), opts), builder, file }
}

const H = ['Host', 'localhost']
const get = (url: string): RequestInput => ({ method: 'GET', url, rawHeaders: H, remoteAddress: '203.0.113.9' })
const post = (raw: string, type = 'application/x-www-form-urlencoded'): RequestInput => ({
  method: 'POST', url: '/f', rawHeaders: [...H, 'Content-Type', type], remoteAddress: '203.0.113.9', body: type.startsWith('multipart') ? { fields: [{ key: 'a', value: raw }], raw } : { form: raw, raw }
})
const DENY_EVIL = 'SecRule ARGS|REQUEST_BODY "@contains evil" "id:10,phase:2,deny,status:403,msg:\'evil\'"\n'

async function refused (t: Test, text: string, line: number, directive: string, reason: RegExp): Promise<void> {
  const dir = t.testdir({})
  const file = join(dir, `bad${n++}.conf`)
  writeFileSync(file, text)
  const err = await loadRules(file, new RuleSetBuilder()).then(() => undefined, (e: unknown) => e)
  t.type(err, DirectiveError, `${directive} is refused`)
  t.match((err as Error).message, `${file}:${line}: ${directive}: `, 'the error names file, line and directive')
  t.match((err as Error).message, reason)
}

t.test('SecRuleEngine DetectionOnly: matches are logged, nothing is denied, whatever the mode option says', async t => {
  const { engine, builder } = await load(t, `SecRuleEngine DetectionOnly\n${DENY_EVIL}`)
  const r = engine.check(get('/?q=evil'))
  t.equal(r.action, 'log')
  t.equal(r.status, undefined)
  t.same(r.attacks.map(a => [a.ruleId, a.action, a.disruptive]), [['10', 'log', 'deny']], 'the entry says logged, and what the rule would have done')
  t.equal(engine.check(get('/?q=evil'), { mode: 'block' }).action, 'log', 'an explicit block mode does not override it')
  const report = secLangReport(builder)
  t.equal(report.ruleEngine, 'DetectionOnly')
  t.match(report.notices[0]!.reason, /^SecRuleEngine DetectionOnly: matches are logged, no request is denied/)
})

t.test('SecRuleEngine Off runs no rule; On denies where the mode is block and only logs where it is detect', async t => {
  const off = await load(t, `SecRuleEngine Off\n${DENY_EVIL}`)
  t.same([off.engine.check(get('/?q=evil')).action, off.engine.check(get('/?q=evil')).matches.length], ['pass', 0])
  const on = await load(t, `SecRuleEngine On\n${DENY_EVIL}`, { mode: 'detect' })
  t.equal(on.engine.check(get('/?q=evil')).action, 'log', 'mode detect: the more cautious wins')
  t.equal(on.engine.check(get('/?q=evil'), { mode: 'block' }).action, 'deny', 'a domain in block mode')
  const last = await load(t, `SecRuleEngine On\n${DENY_EVIL}SecRuleEngine DetectionOnly\n`)
  t.equal(last.engine.check(get('/?q=evil')).action, 'log', 'the last SecRuleEngine wins, as in ModSecurity')
  await refused(t, '\nSecRuleEngine Maybe\n', 2, 'SecRuleEngine', /must be On, Off or DetectionOnly, not "Maybe"/)
})

t.test('SecRuleEngine governs the whole rule set, rules of other formats included', async t => {
  const builder = new RuleSetBuilder()
  builder.add(compileRule({ id: '500', phase: 1, targets: ['ARGS'], operator: { name: 'contains', argument: 'bad' }, disruptive: 'deny' }))
  const { engine } = await load(t, 'SecRuleEngine DetectionOnly\n', { mode: 'block' }, builder)
  t.same([engine.check(get('/?q=bad')).action, engine.check(get('/?q=bad')).attacks[0]!.action], ['log', 'log'])
})

t.test('SecRequestBodyAccess Off: no body is inspected; On: it is', async t => {
  const off = await load(t, `SecRequestBodyAccess Off\n${DENY_EVIL}`)
  t.equal(off.engine.check(post('a=evil')).action, 'pass')
  t.match(secLangReport(off.builder).notices[0]!.reason, /request bodies are not inspected/)
  const on = await load(t, `SecRequestBodyAccess On\n${DENY_EVIL}`)
  t.equal(on.engine.check(post('a=evil')).action, 'deny')
  await refused(t, 'SecRequestBodyAccess yes\n', 1, 'SecRequestBodyAccess', /must be On or Off/)
})

t.test('SecRequestBodyLimit with SecRequestBodyLimitAction Reject: 413 in block mode, logged in DetectionOnly', async t => {
  const { engine } = await load(t, `SecRequestBodyLimit 64\nSecRequestBodyLimitAction Reject\n${DENY_EVIL}`)
  t.equal(engine.limits.bodyBytes, 64)
  const big = post(`a=${'x'.repeat(100)}`)
  const r = engine.check(big)
  t.same([r.action, r.status], ['deny', 413])
  t.same(r.attacks.map(a => [a.ruleId, a.action]), [['200003', 'deny']])
  t.equal(engine.check(post('a=small')).action, 'pass')
  const detect = await load(t, `SecRuleEngine DetectionOnly\nSecRequestBodyLimit 64\nSecRequestBodyLimitAction Reject\n${DENY_EVIL}`)
  const d = detect.engine.check(big)
  t.same([d.action, d.attacks.map(a => [a.ruleId, a.action])], ['log', [['200003', 'log']]])
  const mine = await load(t, `SecRequestBodyLimit 64\n${DENY_EVIL}`, { mode: 'block', limits: { bodyBytes: 1000 } })
  t.equal(mine.engine.limits.bodyBytes, 1000, 'the plugin\'s limits option wins over the file')
  await refused(t, 'SecRequestBodyLimit lots\n', 1, 'SecRequestBodyLimit', /whole number/)
  await refused(t, 'SecRequestBodyLimitAction Drop\n', 1, 'SecRequestBodyLimitAction', /Reject or ProcessPartial/)
})

t.test('SecRequestBodyNoFilesLimit with ProcessPartial: a body without files is inspected up to it, a multipart one up to SecRequestBodyLimit', async t => {
  const { engine } = await load(t, `SecRequestBodyLimit 1000\nSecRequestBodyNoFilesLimit 32\nSecRequestBodyLimitAction ProcessPartial\n${DENY_EVIL}`)
  t.equal(engine.noFilesBytes, 32)
  const late = engine.check(post(`a=${'x'.repeat(40)}evil`))
  t.same([late.action, late.attacks.map(a => [a.ruleId, a.action])], ['log', [['200003', 'log']]], 'past the limit: cut and logged, not matched')
  t.equal(engine.check(post(`a=${'x'.repeat(10)}evil`)).action, 'deny', 'within it: matched')
  t.equal(engine.check(post(`${'x'.repeat(40)}evil`, 'multipart/form-data; boundary=b')).action, 'deny', 'multipart: the body limit applies')
})

t.test('SecArgumentsLimit: arguments past it are not inspected, and the cut is logged', async t => {
  const { engine } = await load(t, `SecArgumentsLimit 3\n${DENY_EVIL}`)
  t.equal(engine.limits.args, 3)
  const r = engine.check(get('/?a=1&b=2&c=3&d=evil'))
  t.same(r.attacks.map(a => a.ruleId), ['200001'])
  t.equal(engine.check(get('/?a=evil&b=2')).action, 'deny')
  await refused(t, 'SecArgumentsLimit 0\n', 1, 'SecArgumentsLimit', /whole number >= 1/)
})

t.test('SecDefaultAction: block takes its disruptive action and status', async t => {
  const { engine } = await load(t, 'SecDefaultAction "phase:2,log,deny,status:418"\nSecRule ARGS "@contains evil" "id:11,phase:2,block"\n')
  const r = engine.check(get('/?q=evil'))
  t.same([r.action, r.status, r.attacks[0]!.disruptive], ['deny', 418, 'deny'])
})

t.test('SecComponentSignature is kept for the audit record', async t => {
  const { engine } = await load(t, 'SecComponentSignature "OWASP_CRS/4.0.0"\nSecComponentSignature "mine/1"\n')
  t.same(engine.settings.components, ['OWASP_CRS/4.0.0', 'mine/1'])
})

t.test('accepted directives: no effect, and the notice says what the suite does instead', async t => {
  const { builder } = await load(t, [
    'SecRequestBodyInMemoryLimit 131072', 'SecCollectionTimeout 600', 'SecPcreMatchLimit 1000', 'SecPcreMatchLimitRecursion 1000',
    'SecAuditEngine RelevantOnly', 'SecAuditLog /var/log/modsec_audit.log', 'SecAuditLogParts ABIJDEFHZ', 'SecAuditLogFormat JSON',
    'SecTmpDir /tmp/', 'SecDataDir /tmp/', 'SecUnicodeMapFile unicode.mapping 20127', 'SecStatusEngine On', 'SecResponseBodyAccess On',
    'SecDebugLogLevel 0', 'SecArgumentSeparator &', 'SecCookieFormat 0', 'SecXmlExternalEntity Off'
  ].join('\n') + '\n')
  const notices = Object.fromEntries(secLangReport(builder).notices.map(i => [i.line, i.reason]))
  t.match(notices, {
    1: /^SecRequestBodyInMemoryLimit 131072: accepted: bodies are held in memory/,
    2: /persistent collections .* are not kept/,
    3: /^SecPcreMatchLimit 1000: accepted, no effect: every pattern runs in RE2/,
    4: /^SecPcreMatchLimitRecursion 1000: accepted, no effect/,
    5: /the audit log is the attack log .*modsec-json/,
    8: /the audit log is the attack log/,
    9: /nothing is written to disk/,
    11: /no code-point map is loaded/,
    12: /nothing is reported to a status server/,
    14: /no debug log is written/
  })
  t.equal(Object.keys(notices).length, 13, 'line 13 (response inspection) and lines 15-17 are honoured as written')
  t.same(warningLines(secLangReport(builder)), [], 'notices are not warnings')
  await refused(t, 'SecArgumentSeparator ;\n', 1, 'SecArgumentSeparator', /only "&"/)
  await refused(t, 'SecCookieFormat 1\n', 1, 'SecCookieFormat', /version 0/)
  await refused(t, 'SecXmlExternalEntity On\n', 1, 'SecXmlExternalEntity', /never loaded/)
  await refused(t, 'SecPcreMatchLimit -1\n', 1, 'SecPcreMatchLimit', /whole number/)
})

t.test('refused and unknown directives are load errors naming file, line and directive', async t => {
  await refused(t, '# x\n\nSecRuleScript /etc/x.lua "block"\n', 3, 'SecRuleScript', /Lua/)
  await refused(t, 'SecRemoteRules key https://example.com/r.conf\n', 1, 'SecRemoteRules', /never fetched/)
  await refused(t, 'SecRule ARGS "@rx a" "id:1,pass"\nSecFrobnicate On\n', 2, 'SecFrobnicate', /unknown or unsupported SecLang directive/)
  await refused(t, 'LoadModule x y\n', 1, 'LoadModule', /not a SecLang directive/)
})

t.test('SecRuleRemoveById / ByTag / ByMsg remove rules loaded before and after them', async t => {
  const rules = [
    'SecRule ARGS "@contains a1" "id:21,phase:1,deny,msg:\'first one\'"',
    'SecRule ARGS "@contains a2" "id:22,phase:1,deny,tag:\'gone-tag\'"',
    'SecRule ARGS "@contains a3" "id:23,phase:1,deny,msg:\'third one\'"'
  ].join('\n') + '\n'
  const removals = 'SecRuleRemoveById 21\nSecRuleRemoveByTag gone-tag\nSecRuleRemoveByMsg "^third"\n'
  for (const [name, text] of [['after', rules + removals], ['before', removals + rules]]) {
    const { engine, builder } = await load(t, text + 'SecRule ARGS "@contains a4" "id:24,phase:1,deny"\n')
    t.same(engine.ruleSet.rules.map(r => r.id), ['24'], `removals ${name} the rules`)
    t.equal(secLangReport(builder).removed, 3)
    t.same([engine.check(get('/?q=a1a2a3')).action, engine.check(get('/?q=a4')).action], ['pass', 'deny'])
  }
})

t.test('SecRuleUpdateTargetById / ByTag / ByMsg and SecRuleUpdateActionById apply to rules loaded before and after them', async t => {
  const rules = [
    'SecRule ARGS "@contains x" "id:31,phase:1,deny"',
    'SecRule ARGS "@contains x" "id:32,phase:1,deny,tag:\'t32\'"',
    'SecRule ARGS "@contains x" "id:33,phase:1,deny,msg:\'m33\'"',
    'SecRule ARGS "@contains x" "id:34,phase:1,deny,msg:\'old\'"'
  ].join('\n') + '\n'
  const updates = 'SecRuleUpdateTargetById 31 "!ARGS:safe"\nSecRuleUpdateTargetByTag t32 "!ARGS:safe"\nSecRuleUpdateTargetByMsg ^m33$ "!ARGS:safe"\nSecRuleUpdateActionById 34 "pass,msg:\'new\'"\n'
  for (const [name, text] of [['after', rules + updates], ['before', updates + rules]]) {
    const { engine, builder } = await load(t, text)
    const r = engine.check(get('/?safe=x'), { mode: 'detect' })
    t.same(r.attacks.map(a => [a.ruleId, a.msg, a.disruptive]), [['34', 'new', 'pass']], `updates ${name} the rules`)
    t.equal(engine.check(get('/?other=x'), { mode: 'detect' }).attacks.length, 4)
    t.same(secLangReport(builder).ignored, [])
  }
  const { builder } = await load(t, 'SecRuleUpdateTargetById 99 "!ARGS:a"\nSecRuleUpdateActionById 98 "pass"\n')
  t.same(secLangReport(builder).ignored.map(i => `${i.line} ${i.reason}`), ['1 SecRuleUpdateTargetById: no loaded rule matches', '2 SecRuleUpdateActionById: no loaded rule has this id'])
  t.match(warningLines(secLangReport(builder)).join('\n'), /ignored .*:1: SecRuleUpdateTargetById: no loaded rule matches/)
})

t.test('SecMarker and SecAction: skipAfter jumps to the marker; SecAction runs unconditionally', async t => {
  const { engine } = await load(t, [
    'SecAction "id:41,phase:1,pass,nolog,setvar:tx.skip=1"',
    'SecRule TX:skip "@eq 1" "id:42,phase:1,pass,nolog,skipAfter:END"',
    'SecRule ARGS "@contains x" "id:43,phase:1,deny"',
    'SecMarker END',
    'SecRule ARGS "@contains y" "id:44,phase:1,deny"'
  ].join('\n') + '\n')
  t.same([engine.check(get('/?q=x')).action, engine.check(get('/?q=y')).action], ['pass', 'deny'])
})
