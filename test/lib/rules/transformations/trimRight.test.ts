import t from 'tap'
import { trimRight } from '../../../../lib/rules/transformations/trim-right.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('trimRight is registered under its name', async t => {
  t.equal(getTransformation('trimRight')?.fn, trimRight)
  t.equal(getTransformation('trimright')?.name, 'trimRight', 'names are case-insensitive')
})

t.test('trimRight', async t => {
  t.equal(trimRight(' a\r\n'), ' a', 'end only')
})

t.test('trimRight is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, trimRight)
})
