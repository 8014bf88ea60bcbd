import t from 'tap'
import { op, TestContext } from '../match-context.js'

t.test('endsWith', async t => {
  t.ok(op('endsWith', '.php').match('index.php', new TestContext()), 'suffix')
  t.notOk(op('endsWith', '.php').match('index.php5', new TestContext()), 'not at the end')
})

t.test('endsWith with a macro argument', async t => {
  const o = op('endsWith', '%{tx.v}')
  t.equal(o.prefilter, undefined)
  const ctx = new TestContext()
  ctx.tx.set('v', '.bak')
  t.ok(o.match('x.bak', ctx))
  t.notOk(o.match('x.bak.txt', ctx))
})
