import t from 'tap'
import { none } from '../../../../lib/rules/transformations/none.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('none is registered under its name', async t => {
  t.equal(getTransformation('none')?.fn, none)
  t.equal(getTransformation('none')?.name, 'none', 'names are case-insensitive')
})

t.test('none', async t => {
  t.equal(none('a%20B'), 'a%20B', 'unchanged')
})

t.test('none is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, none)
})
