import t from 'tap'
import { op, TestContext } from '../match-context.js'

t.test('eq', async t => {
  t.ok(op('eq', '0').match('0', new TestContext()), 'equal')
  t.ok(op('eq', '0').match('', new TestContext()), 'empty reads as 0')
  t.ok(op('eq', '3').match('03', new TestContext()), 'numeric, not textual')
  t.notOk(op('eq', '3').match('4', new TestContext()), 'different')
})

t.test('eq with a macro argument', async t => {
  const o = op('eq', '%{tx.v}')
  t.equal(o.prefilter, undefined)
  const ctx = new TestContext()
  ctx.tx.set('v', '5')
  t.ok(o.match('5', ctx))
  t.notOk(o.match('6', ctx))
})

t.test('eq reads values like C atoi' , async t => {
  const { toInt } = await import('../../../../lib/rules/operators/numeric.js')
  t.equal(toInt('  42abc'), 42)
  t.equal(toInt('-7'), -7)
  t.equal(toInt('abc'), 0)
  t.equal(toInt(''), 0)
})
