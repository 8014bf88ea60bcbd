import t from 'tap'
import { phraseMatcher } from '../../../../lib/rules/operators/pm.js'
import { op, TestContext } from '../match-context.js'

t.test('pm matches any phrase, case-insensitively, anywhere', async t => {
  const o = op('pm', 'sqlmap nikto  dirbuster')
  const ctx = new TestContext(true)
  t.ok(o.match('Mozilla/5.0 SQLMap/1.7', ctx))
  t.equal(ctx.matched, 'SQLMap')
  t.equal(ctx.tx.get('0'), 'SQLMap', 'capture sets TX.0 to the phrase')
  t.ok(o.match('xNiKtOx', new TestContext()))
  t.notOk(o.match('Mozilla/5.0 Firefox', new TestContext()))
})

t.test('pm phrases are literals: metacharacters do not act', async t => {
  const o = op('pm', 'a.b (x) dirb/')
  t.ok(o.match('a.b', new TestContext()))
  t.notOk(o.match('axb', new TestContext()))
  t.ok(o.match('(x)', new TestContext()))
  t.ok(o.match('dirb/2.22', new TestContext()))
  t.ok(o.prefilter?.startsWith('(?i)'))
})

t.test('pm needs a phrase', async t => {
  t.throws(() => op('pm', '   '), /at least one phrase/)
})

t.test('phraseMatcher scales to thousands of phrases and long inputs', async t => {
  const phrases = Array.from({ length: 5000 }, (_, i) => `word${i}x`)
  const o = phraseMatcher('pmFromFile', 'words.data', phrases)
  t.ok(o.match('... WORD4999X ...', new TestContext()))
  t.notOk(o.match('w'.repeat(1e5), new TestContext()))
})
