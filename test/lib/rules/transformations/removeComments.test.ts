import t from 'tap'
import { removeComments } from '../../../../lib/rules/transformations/remove-comments.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('removeComments is registered under its name', async t => {
  t.equal(getTransformation('removeComments')?.fn, removeComments)
  t.equal(getTransformation('removecomments')?.name, 'removeComments', 'names are case-insensitive')
})

t.test('removeComments', async t => {
  t.equal(removeComments('un/**/ion'), 'union', 'block comment')
  t.equal(removeComments('a<!-- x -->b'), 'ab', 'HTML comment')
  t.equal(removeComments('1\' -- rest'), '1\'  ', 'double dash ends the value with a space')
  t.equal(removeComments('1 # rest'), '1  ', 'hash ends the value')
  t.equal(removeComments('a/* open'), 'a ', 'unterminated block')
  t.equal(removeComments('a-b/c'), 'a-b/c', 'lone - and / kept')
})

t.test('removeComments is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, removeComments)
})
