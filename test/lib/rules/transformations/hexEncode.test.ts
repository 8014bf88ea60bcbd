import t from 'tap'
import { hexEncode } from '../../../../lib/rules/transformations/hex-encode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('hexEncode is registered under its name', async t => {
  t.equal(getTransformation('hexEncode')?.fn, hexEncode)
  t.equal(getTransformation('hexencode')?.name, 'hexEncode', 'names are case-insensitive')
})

t.test('hexEncode', async t => {
  t.equal(hexEncode('AB\xff'), '4142ff', 'lowercase hex of bytes')
})

t.test('hexEncode is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, hexEncode)
})
