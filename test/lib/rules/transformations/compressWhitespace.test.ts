import t from 'tap'
import { compressWhitespace } from '../../../../lib/rules/transformations/compress-whitespace.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('compressWhitespace is registered under its name', async t => {
  t.equal(getTransformation('compressWhitespace')?.fn, compressWhitespace)
  t.equal(getTransformation('compresswhitespace')?.name, 'compressWhitespace', 'names are case-insensitive')
})

t.test('compressWhitespace', async t => {
  t.equal(compressWhitespace('a \t\n\r\f\vb'), 'a b', 'a run of isspace')
  t.equal(compressWhitespace('a\xa0\xa0b'), 'a b', 'NBSP counts')
  t.equal(compressWhitespace('a b'), 'a b', 'single space unchanged')
})

t.test('compressWhitespace is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, compressWhitespace)
})
