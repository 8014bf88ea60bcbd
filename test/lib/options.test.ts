import t from 'tap'
import { checkBoolean, checkChannel, checkFunction, checkHeaderNames, checkOneOf, checkOptionNames, isHeaderName } from '../../lib/options.js'

const channels = { has: (n: string) => n === 'access' || n === 'attack', names: () => ['access', 'attack'] }
const none = { has: () => false, names: () => [] }
const known = new Set(['channel', 'format'])

/** Each bad option: the call, and the message it must throw, which names the owner and the option. */
const bad: Array<[string, () => unknown, RegExp]> = [
  ['options not an object', () => checkOptionNames('waf-x', null, known), /^waf-x: options must be an object$/],
  ['options a string, with its shape', () => checkOptionNames('waf-x', 'a', known, 'an object with "channels"'), /^waf-x: options must be an object with "channels"$/],
  ['an unknown option', () => checkOptionNames('waf-x', { chanel: 'a' }, known), /^waf-x: option "chanel" is not an option; known: channel, format$/],
  ['a channel not a string', () => checkChannel('waf-x', 42, 'access', channels), /^waf-x: option "channel" must be a channel name \(a non-empty string\)$/],
  ['an empty channel', () => checkChannel('waf-x', '', 'access', channels), /^waf-x: option "channel" must be a channel name/],
  ['a channel not configured', () => checkChannel('waf-x', 'heart', 'access', channels), /^waf-x: option "channel" names "heart", which is not a channel of waf-socket \(configured: access, attack\)$/],
  ['the fallback not configured', () => checkChannel('waf-x', undefined, 'forensic', none), /^waf-x: option "channel" names "forensic", which is not a channel of waf-socket \(configured: none\)$/],
  ['another option naming a channel', () => checkChannel('waf-x', 'x', 'access', channels, 'auditChannel'), /^waf-x: option "auditChannel" names "x"/],
  ['a boolean as a string', () => checkBoolean('waf-x', 'immediate', 'true'), /^waf-x: option "immediate" must be true or false$/],
  ['a boolean with its wording', () => checkBoolean('waf-x', 'immediate', 1, "true, false or 'turn'"), /^waf-x: option "immediate" must be true, false or 'turn'$/],
  ['a function as an object', () => checkFunction('waf-x', 'condition', {}), /^waf-x: option "condition" must be a function$/],
  ['header names not an array', () => checkHeaderNames('waf-x', 'redact', 'cookie'), /^waf-x: option "redact" must be an array of header names$/],
  ['a header name not a token', () => checkHeaderNames('waf-x', 'redact', ['x y'], ' (such as ["cookie"])'), /^waf-x: option "redact" must be an array of header names \(such as \["cookie"\]\)$/],
  ['an empty header name, tokens or not', () => checkHeaderNames('waf-x', 'include', [''], '', false), /^waf-x: option "include" must be an array of header names$/],
  ['one of, got another', () => checkOneOf('waf-x', 'mode', 'blok', ['block', 'detect']), /^waf-x: option "mode" must be one of 'block', 'detect', got "blok"$/]
]

t.test('every kind of bad option throws a TypeError naming the owner and the option', async t => {
  for (const [name, call, message] of bad) t.throws(call, { name: 'TypeError', message }, name)
})

t.test('good and absent options pass', async t => {
  const good: Array<[string, () => unknown]> = [
    ['known options', () => checkOptionNames('waf-x', { channel: 'a', format: 'json' }, known)],
    ['options Fastify adds to register options', () => checkOptionNames('waf-x', { prefix: '/api', logLevel: 'info', logSerializers: {} }, known)],
    ['no options', () => checkOptionNames('waf-x', {}, known)],
    ['booleans', () => { checkBoolean('waf-x', 'a', true); checkBoolean('waf-x', 'a', false); checkBoolean('waf-x', 'a', undefined) }],
    ['functions', () => { checkFunction('waf-x', 'a', () => true); checkFunction('waf-x', 'a', undefined) }],
    ['header names', () => { checkHeaderNames('waf-x', 'a', ['Cookie', 'x-api-key', "!#$%&'*+-.^_`|~"]); checkHeaderNames('waf-x', 'a', undefined); checkHeaderNames('waf-x', 'a', ['x y'], '', false) }],
    ['one of', () => { checkOneOf('waf-x', 'a', 'block', ['block', 'detect']); checkOneOf('waf-x', 'a', undefined, ['block']) }]
  ]
  for (const [name, call] of good) t.doesNotThrow(call, name)
  t.equal(checkChannel('waf-x', undefined, 'access', channels), 'access', 'the fallback when unset')
  t.equal(checkChannel('waf-x', 'attack', 'access', channels), 'attack')
})

t.test('isHeaderName: RFC 9110 tokens only', async t => {
  const rows: Array<[unknown, boolean]> = [
    ['cookie', true], ['X-Api-Key', true], ["!#$%&'*+-.^_`|~09az", true], ['', false], ['x y', false], ['x:y', false], ['é', false], ['a\r\n', false], ['(x)', false], [42, false], [undefined, false]
  ]
  for (const [name, ok] of rows) t.equal(isHeaderName(name), ok, JSON.stringify(name) ?? String(name))
})
