import t from 'tap'
import { op, TestContext } from '../match-context.js'

t.test('detectXSS: libinjection on the value, the value to TX.0 with capture', async t => {
  const o = op('detectXSS', '')
  t.equal(o.prefilter, undefined)
  t.notOk(o.match('<b>bold</b> and <i>italic</i>', new TestContext()))
  const ctx = new TestContext(true)
  t.ok(o.match('<img src=x onerror=alert(1)>', ctx))
  t.equal(ctx.tx.get('0'), '<img src=x onerror=alert(1)>', 'TX.0 is the value, as ModSecurity sets it')
  t.equal(ctx.matched, '<img src=x onerror=alert(1)>')
  t.ok(o.match('" onmouseover="alert(1)', new TestContext()), 'inside a double-quoted attribute value')
  t.ok(o.match('<a href="jav&#x61;script:alert(1)">', new TestContext()), 'an entity-encoded javascript: URL')
  t.throws(() => op('detectXSS', 'x'), /detectXSS takes no argument/)
})
