import t from 'tap'
import { trimLeft } from '../../../../lib/rules/transformations/trim-left.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('trimLeft is registered under its name', async t => {
  t.equal(getTransformation('trimLeft')?.fn, trimLeft)
  t.equal(getTransformation('trimleft')?.name, 'trimLeft', 'names are case-insensitive')
})

t.test('trimLeft', async t => {
  t.equal(trimLeft(' \ta '), 'a ', 'start only')
})

t.test('trimLeft is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, trimLeft)
})
