import t from 'tap'
import { op, TestContext } from '../match-context.js'

t.test('lt', async t => {
  t.ok(op('lt', '5').match('4', new TestContext()), 'less')
  t.notOk(op('lt', '5').match('5', new TestContext()), 'equal')
  t.ok(op('lt', '1').match('x', new TestContext()), 'non-numeric reads as 0')
})

t.test('lt with a macro argument', async t => {
  const o = op('lt', '%{tx.v}')
  t.equal(o.prefilter, undefined)
  const ctx = new TestContext()
  ctx.tx.set('v', '5')
  t.ok(o.match('4', ctx))
  t.notOk(o.match('5', ctx))
})

t.test('lt reads values like C atoi' , async t => {
  const { toInt } = await import('../../../../lib/rules/operators/numeric.js')
  t.equal(toInt('  42abc'), 42)
  t.equal(toInt('-7'), -7)
  t.equal(toInt('abc'), 0)
  t.equal(toInt(''), 0)
})
