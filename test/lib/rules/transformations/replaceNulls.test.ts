import t from 'tap'
import { replaceNulls } from '../../../../lib/rules/transformations/replace-nulls.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('replaceNulls is registered under its name', async t => {
  t.equal(getTransformation('replaceNulls')?.fn, replaceNulls)
  t.equal(getTransformation('replacenulls')?.name, 'replaceNulls', 'names are case-insensitive')
})

t.test('replaceNulls', async t => {
  t.equal(replaceNulls('a\x00b'), 'a b', 'NUL to space')
})

t.test('replaceNulls is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, replaceNulls)
})
