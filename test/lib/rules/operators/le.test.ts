import t from 'tap'
import { op, TestContext } from '../match-context.js'

t.test('le', async t => {
  t.ok(op('le', '5').match('5', new TestContext()), 'equal')
  t.ok(op('le', '5').match('4', new TestContext()), 'less')
  t.notOk(op('le', '5').match('6', new TestContext()), 'greater')
})

t.test('le with a macro argument', async t => {
  const o = op('le', '%{tx.v}')
  t.equal(o.prefilter, undefined)
  const ctx = new TestContext()
  ctx.tx.set('v', '5')
  t.ok(o.match('4', ctx))
  t.notOk(o.match('6', ctx))
})

t.test('le reads values like C atoi' , async t => {
  const { toInt } = await import('../../../../lib/rules/operators/numeric.js')
  t.equal(toInt('  42abc'), 42)
  t.equal(toInt('-7'), -7)
  t.equal(toInt('abc'), 0)
  t.equal(toInt(''), 0)
})
