import t from 'tap'
import { op, TestContext } from '../match-context.js'

t.test('streq', async t => {
  t.ok(op('streq', 'POST').match('POST', new TestContext()), 'equal')
  t.notOk(op('streq', 'POST').match('POST ', new TestContext()), 'exact')
  t.notOk(op('streq', 'POST').match('post', new TestContext()), 'case-sensitive')
})

t.test('streq with a macro argument', async t => {
  const o = op('streq', '%{tx.v}')
  t.equal(o.prefilter, undefined)
  const ctx = new TestContext()
  ctx.tx.set('v', 'x')
  t.ok(o.match('x', ctx))
  t.notOk(o.match('xx', ctx))
})
