import t from 'tap'
import { removeWhitespace } from '../../../../lib/rules/transformations/remove-whitespace.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('removeWhitespace is registered under its name', async t => {
  t.equal(getTransformation('removeWhitespace')?.fn, removeWhitespace)
  t.equal(getTransformation('removewhitespace')?.name, 'removeWhitespace', 'names are case-insensitive')
})

t.test('removeWhitespace', async t => {
  t.equal(removeWhitespace('un ion\tsel\nect'), 'unionselect', 'all whitespace')
  t.equal(removeWhitespace('a\xa0b'), 'ab', 'NBSP')
})

t.test('removeWhitespace is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, removeWhitespace)
})
