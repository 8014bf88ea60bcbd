import t from 'tap'
import { trim } from '../../../../lib/rules/transformations/trim.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('trim is registered under its name', async t => {
  t.equal(getTransformation('trim')?.fn, trim)
  t.equal(getTransformation('trim')?.name, 'trim', 'names are case-insensitive')
})

t.test('trim', async t => {
  t.equal(trim(' \t a b \n'), 'a b', 'both ends')
  t.equal(trim('ab'), 'ab', 'unchanged')
})

t.test('trim is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, trim)
})
