import t from 'tap'
import { op, TestContext } from '../match-context.js'

t.test('ge', async t => {
  t.ok(op('ge', '5').match('5', new TestContext()), 'equal')
  t.ok(op('ge', '5').match('6', new TestContext()), 'greater')
  t.notOk(op('ge', '5').match('4', new TestContext()), 'less')
})

t.test('ge with a macro argument', async t => {
  const o = op('ge', '%{tx.v}')
  t.equal(o.prefilter, undefined)
  const ctx = new TestContext()
  ctx.tx.set('v', '5')
  t.ok(o.match('6', ctx))
  t.notOk(o.match('4', ctx))
})

t.test('ge reads values like C atoi' , async t => {
  const { toInt } = await import('../../../../lib/rules/operators/numeric.js')
  t.equal(toInt('  42abc'), 42)
  t.equal(toInt('-7'), -7)
  t.equal(toInt('abc'), 0)
  t.equal(toInt(''), 0)
})
