import t from 'tap'
import { length } from '../../../../lib/rules/transformations/length.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('length is registered under its name', async t => {
  t.equal(getTransformation('length')?.fn, length)
  t.equal(getTransformation('length')?.name, 'length', 'names are case-insensitive')
})

t.test('length', async t => {
  t.equal(length('abc'), '3', 'bytes')
  t.equal(length(''), '0', 'empty')
  t.equal(length('\xc3\xa9'), '2', 'a UTF-8 character is two bytes')
})

t.test('length is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, length)
})
