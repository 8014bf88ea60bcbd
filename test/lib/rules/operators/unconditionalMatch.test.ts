import t from 'tap'
import { op, TestContext } from '../match-context.js'

t.test('unconditionalMatch', async t => {
  t.ok(op('unconditionalMatch', '').match('', new TestContext()), 'empty')
  t.ok(op('unconditionalMatch', '').match('anything', new TestContext()), 'anything')
})
