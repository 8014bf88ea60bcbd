import t from 'tap'
import { sqlHexDecode } from '../../../../lib/rules/transformations/sql-hex-decode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('sqlHexDecode is registered under its name', async t => {
  t.equal(getTransformation('sqlHexDecode')?.fn, sqlHexDecode)
  t.equal(getTransformation('sqlhexdecode')?.name, 'sqlHexDecode', 'names are case-insensitive')
})

t.test('sqlHexDecode', async t => {
  t.equal(sqlHexDecode('select 0x61646d696e'), 'select admin', 'hex literal')
  t.equal(sqlHexDecode('0x4'), '0x4', 'odd digit kept')
  t.equal(sqlHexDecode('no hex'), 'no hex', 'unchanged')
})

t.test('sqlHexDecode is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, sqlHexDecode)
})
