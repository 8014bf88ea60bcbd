import t from 'tap'
import { base64DecodeExt } from '../../../../lib/rules/transformations/base64-decode-ext.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('base64DecodeExt is registered under its name', async t => {
  t.equal(getTransformation('base64DecodeExt')?.fn, base64DecodeExt)
  t.equal(getTransformation('base64decodeext')?.name, 'base64DecodeExt', 'names are case-insensitive')
})

t.test('base64DecodeExt', async t => {
  t.equal(base64DecodeExt('c2Vs.ZW\nN0'), 'select', 'invalid characters skipped')
  t.equal(base64DecodeExt('==='), '', 'nothing to decode')
})

t.test('base64DecodeExt is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, base64DecodeExt)
})
