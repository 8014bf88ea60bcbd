import t from 'tap'
import { assignedCopy } from '../../../lib/proxy/header-copy.js'

t.test('assignedCopy: the same fields and values in the same order, in a new object', async t => {
  const given: Record<string, string | string[] | number> = { ...{ host: 'up', 'set-cookie': ['a=1', 'b=2'], 'content-length': 3 } }
  const copy = assignedCopy(given)
  t.not(copy, given)
  t.same(Object.entries(copy), Object.entries(given))
  copy['x-request-id'] = 'id'
  t.notOk('x-request-id' in given, 'fields added to the copy stay off the original')
})
