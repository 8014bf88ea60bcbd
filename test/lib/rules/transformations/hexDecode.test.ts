import t from 'tap'
import { hexDecode } from '../../../../lib/rules/transformations/hex-decode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('hexDecode is registered under its name', async t => {
  t.equal(getTransformation('hexDecode')?.fn, hexDecode)
  t.equal(getTransformation('hexdecode')?.name, 'hexDecode', 'names are case-insensitive')
})

t.test('hexDecode', async t => {
  t.equal(hexDecode('414243'), 'ABC', 'pairs')
  t.equal(hexDecode('41424'), '41424', 'odd length kept')
  t.equal(hexDecode('41zz'), '41zz', 'non-hex kept')
  t.equal(hexDecode('ff'), '\xff', 'byte')
})

t.test('hexDecode is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, hexDecode)
})
