import t from 'tap'
import { removeNulls } from '../../../../lib/rules/transformations/remove-nulls.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('removeNulls is registered under its name', async t => {
  t.equal(getTransformation('removeNulls')?.fn, removeNulls)
  t.equal(getTransformation('removenulls')?.name, 'removeNulls', 'names are case-insensitive')
})

t.test('removeNulls', async t => {
  t.equal(removeNulls('a\x00b\x00'), 'ab', 'all NULs')
  t.equal(removeNulls('ab'), 'ab', 'none')
})

t.test('removeNulls is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, removeNulls)
})
