import t from 'tap'
import { op, TestContext } from '../match-context.js'

t.test('within', async t => {
  t.ok(op('within', 'GET HEAD POST').match('HEAD', new TestContext()), 'value inside the argument')
  t.notOk(op('within', 'GET HEAD POST').match('PUT', new TestContext()), 'not inside')
  t.ok(op('within', 'GET HEAD POST').match('', new TestContext()), 'empty value matches, as in ModSecurity')
})

t.test('within with a macro argument', async t => {
  const o = op('within', '%{tx.v}')
  t.equal(o.prefilter, undefined)
  const ctx = new TestContext()
  ctx.tx.set('v', '|a|b|')
  t.ok(o.match('a', ctx))
  t.notOk(o.match('c', ctx))
})

t.test('within has no prefilter (the value is the needle)', async t => {
  t.equal(op('within', 'a b').prefilter, undefined)
})
