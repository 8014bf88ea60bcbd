import t from 'tap'
import { op, TestContext } from '../match-context.js'

t.test('contains', async t => {
  t.ok(op('contains', 'select').match('x select y', new TestContext()), 'substring')
  t.notOk(op('contains', 'select').match('SELECT', new TestContext()), 'case-sensitive')
  t.ok(op('contains', '').match('x', new TestContext()), 'empty argument is contained')
})

t.test('contains with a macro argument', async t => {
  const o = op('contains', '%{tx.v}')
  t.equal(o.prefilter, undefined)
  const ctx = new TestContext()
  ctx.tx.set('v', 'abc')
  t.ok(o.match('xabcx', ctx))
  t.notOk(o.match('ab', ctx))
})

t.test('contains prefilter is the escaped literal', async t => {
  t.equal(op('contains', 'a.b(').prefilter, 'a\\.b\\(')
})
