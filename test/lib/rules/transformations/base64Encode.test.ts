import t from 'tap'
import { base64Encode } from '../../../../lib/rules/transformations/base64-encode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('base64Encode is registered under its name', async t => {
  t.equal(getTransformation('base64Encode')?.fn, base64Encode)
  t.equal(getTransformation('base64encode')?.name, 'base64Encode', 'names are case-insensitive')
})

t.test('base64Encode', async t => {
  t.equal(base64Encode('select'), 'c2VsZWN0', 'bytes')
  t.equal(base64Encode('\xff'), '/w==', 'high byte')
})

t.test('base64Encode is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, base64Encode)
})
