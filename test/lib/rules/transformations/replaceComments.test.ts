import t from 'tap'
import { replaceComments } from '../../../../lib/rules/transformations/replace-comments.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('replaceComments is registered under its name', async t => {
  t.equal(getTransformation('replaceComments')?.fn, replaceComments)
  t.equal(getTransformation('replacecomments')?.name, 'replaceComments', 'names are case-insensitive')
})

t.test('replaceComments', async t => {
  t.equal(replaceComments('un/**/ion'), 'un ion', 'comment to a space')
  t.equal(replaceComments('a/* open'), 'a ', 'unterminated')
  t.equal(replaceComments('a*/b'), 'a*/b', 'closing alone kept')
})

t.test('replaceComments is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, replaceComments)
})
