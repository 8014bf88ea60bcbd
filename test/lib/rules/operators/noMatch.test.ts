import t from 'tap'
import { op, TestContext } from '../match-context.js'

t.test('noMatch', async t => {
  t.notOk(op('noMatch', '').match('', new TestContext()), 'empty')
  t.notOk(op('noMatch', '').match('anything', new TestContext()), 'anything')
})
