import t from 'tap'
import { AttackRedactor } from '../../../lib/rules/attack-redaction.js'
import { REDACTED } from '../../../lib/redaction.js'

const REDACT = new Set(['authorization', 'proxy-authorization', 'cookie'])
const same = (s: string): string => s

function entry (location: string, payload: string, msg = 'm'): { location: string, payload: string, msg: string } {
  return { location, payload, msg }
}

t.test('a match on a redacted header or cookie has its payload redacted', async t => {
  const r = new AttackRedactor({ authorization: 'Bearer () { :; }; TOKEN-1', cookie: 'sid=() { :; }; C-2' }, REDACT, same)
  t.same(r.apply(entry('REQUEST_HEADERS:Authorization', '() { :; }; TOKEN-1')), entry('REQUEST_HEADERS:Authorization', REDACTED))
  t.same(r.apply(entry('REQUEST_COOKIES:sid', '() { :; }; C-2')), entry('REQUEST_COOKIES:sid', REDACTED), 'the cookie name stays, its value goes')
  t.same(r.apply(entry('&REQUEST_HEADERS:Cookie', '1')), entry('&REQUEST_HEADERS:Cookie', '1'), 'a count is no value')
  t.same(r.apply(entry('REQUEST_HEADERS:User-Agent', 'sqlmap')), entry('REQUEST_HEADERS:User-Agent', 'sqlmap'), 'other headers untouched')
})

t.test('a secret is replaced wherever it shows: TX copies, windows, messages, bare cookies as names', async t => {
  const secret = 'TOKEN-' + 'x'.repeat(600)
  const r = new AttackRedactor({ authorization: `Bearer ${secret}`, cookie: 'BARE-SECRET-VALUE; a=1' }, REDACT, same)
  t.same(r.apply(entry('TX:0', secret)), entry('TX:0', REDACTED), 'a value copied into TX')
  t.same(r.apply(entry('TX:0', secret.slice(100, 356))), entry('TX:0', REDACTED), 'a window of the secret (long payloads are cut)')
  t.same(r.apply(entry('MATCHED_VAR', `pre ${secret} post`, `Matched ${secret}`)), entry('MATCHED_VAR', `pre ${REDACTED} post`, `Matched ${REDACTED}`))
  t.same(r.apply(entry('REQUEST_COOKIES_NAMES:BARE-SECRET-VALUE', 'BARE-SECRET-VALUE')),
    entry(`REQUEST_COOKIES_NAMES:${REDACTED}`, REDACTED), 'a cookie without "=" is a name, and a secret')
  t.same(r.apply(entry('ARGS:q', '1')), entry('ARGS:q', '1'), 'short secrets ("1") are not searched for elsewhere')
})

t.test('nothing to redact: entries are left as they are', async t => {
  const r = new AttackRedactor({ 'user-agent': 'x' }, REDACT, same)
  t.ok(r.empty)
  t.same(r.apply(entry('ARGS:q', "' or 1=1")), entry('ARGS:q', "' or 1=1"))
  const none = new AttackRedactor({ authorization: 'Bearer TOKEN-1' }, new Set(), same)
  t.same(none.apply(entry('REQUEST_HEADERS:Authorization', 'Bearer TOKEN-1')), entry('REQUEST_HEADERS:Authorization', 'Bearer TOKEN-1'), 'redact: [] logs as received')
})

t.test('non-ASCII secrets compare in the decoded form the entries hold', async t => {
  const bytes = Buffer.from('Bearer jeton-été-secret', 'utf8').toString('latin1')
  const r = new AttackRedactor({ authorization: bytes }, REDACT, s => Buffer.from(s, 'latin1').toString('utf8'))
  t.same(r.apply(entry('TX:1', 'jeton-été-secret')), entry('TX:1', REDACTED))
})

t.test('logdata is redacted like msg, and whole when the match is on a redacted header', async t => {
  const r = new AttackRedactor({ authorization: 'Bearer () { :; }; TOKEN-1' }, REDACT, same)
  t.same(r.apply({ location: 'REQUEST_HEADERS:Authorization', payload: '() {', msg: 'm', logdata: 'Matched Data: () { found within REQUEST_HEADERS:Authorization: Bearer () { :; }; TOKEN-1' }).logdata, REDACTED)
  t.same(r.apply({ location: 'TX:0', payload: 'x', msg: 'm', logdata: 'copied () { :; }; TOKEN-1 here' }).logdata, `copied ${REDACTED} here`)
})
