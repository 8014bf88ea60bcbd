import t from 'tap'
import { parseSecLang, parseIds } from '../../../../lib/rules/seclang/parser.js'
import { parseVariables } from '../../../../lib/rules/seclang/variables.js'
import { parseOperator } from '../../../../lib/rules/seclang/operator.js'
import { parseActions } from '../../../../lib/rules/seclang/actions.js'
import { logicalLines } from '../../../../lib/rules/seclang/lines.js'
import { splitWords } from '../../../../lib/rules/seclang/tokens.js'
import type { SecRuleDirective } from '../../../../lib/rules/seclang/ast.js'

t.test('line continuations join trimmed lines; comments and blanks are dropped', async t => {
  const src = [
    '# a comment',
    '',
    'SecRule ARGS "@rx a" \\',
    '    "id:1,\\',
    '    phase:2"',
    '#SecRule ARGS "@rx commented" \\',
    '#    "id:2"',
    '   SecMarker END'
  ].join('\n')
  const lines = logicalLines(src)
  t.same(lines, [
    { text: 'SecRule ARGS "@rx a" "id:1,phase:2"', line: 3 },
    { text: 'SecMarker END', line: 8 }
  ])
})

t.test('CRLF files and backtick blocks', async t => {
  const lines = logicalLines('SecAction "id:1"\r\nSecRule ARGS "@rx x" `\nid:2,\nphase:1\n`\n')
  t.equal(lines.length, 2)
  t.equal(lines[0]!.text, 'SecAction "id:1"')
  t.equal(lines[1]!.text, 'SecRule ARGS "@rx x" id:2,\nphase:1')
  t.equal(lines[1]!.line, 2)
})

t.test('words: quotes, escaped quotes, kept backslashes', async t => {
  t.same(splitWords('SecRule ARGS "@rx a\\"b\\d\\\\" "msg:\'x y\'"').words,
    ['SecRule', 'ARGS', '@rx a"b\\d\\\\', "msg:'x y'"])
  t.same(splitWords("SecMarker 'END HOST'").words, ['SecMarker', 'END HOST'])
  t.match(splitWords('SecRule ARGS "@rx a').error, /unterminated double-quoted/)
})

t.test('variables: keys, regex keys with |, exclusions, counts, XML xpath', async t => {
  const { variables, error } = parseVariables('ARGS|!ARGS:foo|&TX:x|REQUEST_COOKIES:/^(a|b)$/|XML:/*|XML://@*|REQUEST_HEADERS:User-Agent|tx:/^x\\/y/')
  t.equal(error, undefined)
  t.same(variables.map(v => [v.collection, v.key, v.keyIsRegex, v.count, v.exclude]), [
    ['ARGS', undefined, false, false, false],
    ['ARGS', 'foo', false, false, true],
    ['TX', 'x', false, true, false],
    ['REQUEST_COOKIES', '^(a|b)$', true, false, false],
    ['XML', '/*', false, false, false],
    ['XML', '//@*', false, false, false],
    ['REQUEST_HEADERS', 'User-Agent', false, false, false],
    ['TX', '^x\\/y', true, false, false]
  ])
  t.same(parseVariables("REQUEST_COOKIES:'/^_ga/'").variables[0]!.keyIsRegex, true)
  t.match(parseVariables('ARGS|').error, undefined) // a trailing | is tolerated
  t.match(parseVariables('ARGS:/abc').error, /unterminated/)
  t.match(parseVariables('|').error, /expected a variable name/)
})

t.test('operators: explicit, negated, implicit rx, no argument', async t => {
  t.same(parseOperator('@rx ^a b$').operator, { name: 'rx', argument: '^a b$', negated: false, raw: '@rx ^a b$' })
  t.same(parseOperator('!@eq 0').operator.negated, true)
  t.same(parseOperator('!@eq 0').operator.argument, '0')
  t.same(parseOperator('^GET').operator.name, 'rx')
  t.same(parseOperator('!^GET').operator, { name: 'rx', argument: '^GET', negated: true, raw: '!^GET' })
  t.same(parseOperator('@unconditionalMatch').operator.argument, '')
  t.same(parseOperator('@rx  two spaces').operator.argument, ' two spaces')
  t.match(parseOperator('@rx:x').error, /invalid operator/)
})

t.test('actions: quoted values with commas and escapes, bare flags, blanks', async t => {
  const { actions, error } = parseActions("id:942100, phase:2,block,t:none,t:urlDecodeUni,msg:'SQL Injection, via libinjection',logdata:'Matched Data: %{TX.0}',setvar:'tx.a=+%{tx.b}',tag:'it\\'s',ctl:ruleRemoveTargetById=1;ARGS:x")
  t.equal(error, undefined)
  t.same(actions, [
    { name: 'id', value: '942100' },
    { name: 'phase', value: '2' },
    { name: 'block' },
    { name: 't', value: 'none' },
    { name: 't', value: 'urlDecodeUni' },
    { name: 'msg', value: 'SQL Injection, via libinjection' },
    { name: 'logdata', value: 'Matched Data: %{TX.0}' },
    { name: 'setvar', value: 'tx.a=+%{tx.b}' },
    { name: 'tag', value: "it's" },
    { name: 'ctl', value: 'ruleRemoveTargetById=1;ARGS:x' }
  ])
  t.match(parseActions("msg:'open").error, /unterminated quoted value for action "msg"/)
  t.match(parseActions("msg:'a'b").error, /unexpected "b"/)
  t.match(parseActions('i d:1').error, /invalid action name/)
})

t.test('ids and ranges', async t => {
  t.same(parseIds('1 5-7,9'), [{ from: 1, to: 1 }, { from: 5, to: 7 }, { from: 9, to: 9 }])
  t.equal(parseIds('7-5'), undefined)
  t.equal(parseIds('x'), undefined)
})

t.test('a file: rules, chains, markers, updates, config, diagnostics', async t => {
  const src = `
SecRuleEngine DetectionOnly
SecAction "id:900000,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=1"
SecRule REQUEST_METHOD "@streq POST" "id:1,phase:1,chain,deny"
    SecRule REQUEST_HEADERS:Content-Type "!@rx ^multipart" "chain"
        SecRule &ARGS "@gt 3" "t:none"
SecRule ARGS "@rx a" "id:2,phase:2,pass"
SecRule ARGS
SecRule ARGS "@rx (" "id:3,msg:'unterminated"
SecMarker "END-HOST"
SecRuleUpdateTargetById 942100 "!ARGS:foo"
SecRuleUpdateActionById 942100-942110 "severity:WARNING"
SecRuleRemoveById 1 2-3
SecRuleRemoveByTag "attack-sqli"
SecDefaultAction "phase:2,log,pass"
`
  const r = parseSecLang(src, 'x.conf')
  t.same(r.directives.map(d => d.kind), ['config', 'action', 'rule', 'rule', 'marker', 'updateTarget', 'updateAction', 'remove', 'remove', 'defaultAction'])
  const chain = r.directives[2] as SecRuleDirective
  t.equal(chain.operator.name, 'streq')
  t.equal(chain.chained!.variables[0]!.key, 'Content-Type')
  t.equal(chain.chained!.operator.negated, true)
  t.equal(chain.chained!.chained!.variables[0]!.count, true)
  t.equal(chain.chained!.chained!.chained, undefined)
  t.equal(chain.loc.line, 4)
  t.same(r.diagnostics.map(d => [d.loc.file, d.loc.line]), [['x.conf', 8], ['x.conf', 9]])
  t.match(r.diagnostics[0]!.message, /SecRule takes 2 or 3 arguments/)
  t.match(r.diagnostics[1]!.message, /unterminated/)
  t.equal(r.diagnostics[1]!.excerpt.startsWith('SecRule ARGS "@rx ("'), true)
})

t.test('a chain interrupted by another directive, and a file that ends inside a chain', async t => {
  const r = parseSecLang('SecRule ARGS "@rx a" "id:1,chain"\nSecMarker X\nSecRule ARGS "@rx b" "id:2,chain"\n', 'c.conf')
  t.equal(r.diagnostics.length, 2)
  t.match(r.diagnostics[0]!.message, /a chained rule must follow the rule at line 1; found SecMarker/)
  t.match(r.diagnostics[1]!.message, /the file ends inside a chain/)
})

t.test('a comment that ends in a backtick is only a comment', async t => {
  const lines = logicalLines('# such as: ; | & `\nSecRule ARGS "@rx `" "id:1"\nSecMarker END\n')
  t.same(lines.map(l => l.line), [2, 3])
})
