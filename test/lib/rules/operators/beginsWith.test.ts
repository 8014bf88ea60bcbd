import t from 'tap'
import { op, TestContext } from '../match-context.js'

t.test('beginsWith', async t => {
  t.ok(op('beginsWith', 'GET').match('GET /', new TestContext()), 'prefix')
  t.notOk(op('beginsWith', 'GET').match(' GET', new TestContext()), 'not at the start')
})

t.test('beginsWith with a macro argument', async t => {
  const o = op('beginsWith', '%{tx.v}')
  t.equal(o.prefilter, undefined)
  const ctx = new TestContext()
  ctx.tx.set('v', '/adm')
  t.ok(o.match('/admin', ctx))
  t.notOk(o.match('/x/admin', ctx))
})

t.test('beginsWith prefilter is anchored', async t => {
  t.equal(op('beginsWith', '/a').prefilter, '^\\/a')
})
