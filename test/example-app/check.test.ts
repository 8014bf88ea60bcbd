import t from 'tap'
import path from 'node:path'
import { checkGateway } from '../../example-app/check.js'
import { settingLine } from '../../example-app/config-lines.js'

/**
 * `waf-gateway --check` (bin/waf-gateway.ts spawns it in test/bin): the configuration, the rules
 * and the log files are checked as a start would, and the first problem comes back as
 * `file:line: reason`, the line being that of the setting (or rule) at fault.
 */

/** The 1-based line of `text` that holds `needle`. */
function lineOf (text: string, needle: string): number {
  return text.split('\n').findIndex(l => l.includes(needle)) + 1
}

t.test('a configuration that loads: what was checked, in one line', async t => {
  const dir = t.testdir({
    'gateway.yaml': 'mode: detect\ndomains:\n  shop.example:\n    mode: block\nrules:\n  files: [own.yaml]\n',
    'own.yaml': '- id: 900001\n  msg: test rule\n  targets: [ARGS]\n  pattern: "forbidden-word"\n  action: deny\n'
  })
  const defaults = await checkGateway({}, dir)
  t.match(defaults, { ok: true, message: /^configuration the embedded defaults test is successful \(rules: \d+ rules, mode block\)$/, warnings: [] })
  const file = await checkGateway({ WAF_CONFIG: 'gateway.yaml' }, dir)
  t.equal(file.ok, true, file.message)
  t.match(file.message, `configuration ${path.join(dir, 'gateway.yaml')} test is successful (rules: `)
  const ownRules = Number(/rules: (\d+) rules/.exec(file.message)?.[1])
  const defaultRules = Number(/rules: (\d+) rules/.exec(defaults.message)?.[1])
  t.equal(ownRules, defaultRules + 1, 'the rule file was loaded')
})

t.test('SecLang rules the start would not load are warnings, not a failure (as at start)', async t => {
  const dir = t.testdir({ 'gateway.yaml': 'rules:\n  files: [rules.conf]\n', 'rules.conf': 'SecRule ARGS "@rx a(" "id:1,phase:1,deny"\n' })
  const r = await checkGateway({ WAF_CONFIG: 'gateway.yaml' }, dir)
  t.equal(r.ok, true, r.message)
  t.match(r.message, /1 unsupported/)
  t.match(r.warnings, [/SecLang: 1 rules not loaded \(unsupported\): 1/])
})

t.test('every kind of problem, as file:line: reason', async t => {
  const setting = 'listen:\n  port: 8080\ndomains:\n  shop.example:\n    upstream: http://127.0.0.1:3000\n    mode: loud\n'
  const unknown = 'listen:\n  port: 8080\n  hots: 127.0.0.1\n'
  const yaml = 'listen:\n  port: 8080\nroutes: [\n'
  const route = 'routes:\n  - prefix: /a\n  - prefix: b\n'
  const rules = '- id: 900001\n  msg: fine\n  targets: [ARGS]\n  pattern: "a"\n  action: deny\n- id: 900002\n  msg: broken\n  targets: [ARGS]\n  pattern: "(?<=x)y"\n  action: deny\n'
  const seclang = 'SecRule ARGS "@rx a" "id:1,phase:1,deny"\nSecFoo bar\n'
  const channel = 'mode: detect\nchannels:\n  access: file:///nonexistent-waflog-dir/access.log\n'
  const dir = t.testdir({
    'setting.yaml': setting,
    'unknown.yaml': unknown,
    'yaml.yaml': yaml,
    'route.yaml': route,
    'rules.yaml': 'rules:\n  files: [bad-rules.yaml]\n',
    'bad-rules.yaml': rules,
    'seclang.yaml': 'rules:\n  files: [bad.conf]\n',
    'bad.conf': seclang,
    'channel.yaml': channel,
    'logdir.yaml': 'logDir: plain/logs\n',
    plain: 'a file, not a folder'
  })
  const cases: Array<[string, string]> = [
    ['setting.yaml', `setting.yaml:${lineOf(setting, 'mode: loud')}: "domains.shop.example.mode" must be one of block, detect, off (got "loud")`],
    ['unknown.yaml', `unknown.yaml:${lineOf(unknown, 'hots')}: "listen.hots" is not a known setting`],
    ['yaml.yaml', 'yaml.yaml:4: not valid YAML: '],
    ['route.yaml', `route.yaml:${lineOf(route, 'prefix: b')}: "routes[1].prefix" must be a path that starts with "/" (got "b")`],
    // The rule's line: where its entry starts.
    ['rules.yaml', `bad-rules.yaml:${lineOf(rules, 'id: 900002')}: rule 900002: pattern: `],
    ['seclang.yaml', `bad.conf:${lineOf(seclang, 'SecFoo')}: SecFoo: unknown or unsupported SecLang directive`],
    ['channel.yaml', `channel.yaml:${lineOf(channel, 'access:')}: "channels.access": waf-socket: channel "access" cannot write file:///nonexistent-waflog-dir/access.log: the directory /nonexistent-waflog-dir does not exist`]
  ]
  for (const [file, expected] of cases) {
    const r = await checkGateway({ WAF_CONFIG: file }, dir)
    t.equal(r.ok, false, file)
    t.ok(r.message.startsWith(`${dir}/${expected}`), `${file}: ${r.message}`)
    t.notMatch(r.message, /\n/, `${file}: one line`)
  }
  const logDir = await checkGateway({ WAF_CONFIG: 'logdir.yaml' }, dir)
  t.equal(logDir.ok, false, 'a log folder the start cannot create')
  t.match(logDir.message, /ENOTDIR|not a directory/)
  const env = await checkGateway({ WAF_PORT: 'eighty' }, dir)
  t.same(env, { ok: false, message: 'environment: WAF_PORT must be a whole number (got "eighty")', warnings: [] }, 'the environment is named as the environment')
})

t.test('settingLine: the longest key first (domain names hold dots), list items, and the deepest part found', async t => {
  const text = 'domains:\n  shop:\n    mode: block\n  shop.example:\n    mode: loud\nroutes:\n  - prefix: /a\n  - prefix: b\n'
  t.equal(settingLine(text, 'domains.shop.example.mode'), 5)
  t.equal(settingLine(text, 'domains.shop.mode'), 3)
  t.equal(settingLine(text, 'routes[1].prefix'), 8)
  t.equal(settingLine(text, 'routes[1]'), 8)
  t.equal(settingLine(text, 'domains.shop.example.tls'), 4, 'absent: the line of the part that is there')
  t.equal(settingLine(text, 'listen.port'), undefined, 'none of it')
})
