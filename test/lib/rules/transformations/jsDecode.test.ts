import t from 'tap'
import { jsDecode } from '../../../../lib/rules/transformations/js-decode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('jsDecode is registered under its name', async t => {
  t.equal(getTransformation('jsDecode')?.fn, jsDecode)
  t.equal(getTransformation('jsdecode')?.name, 'jsDecode', 'names are case-insensitive')
})

t.test('jsDecode', async t => {
  t.equal(jsDecode('\\x3cscript\\x3e'), '<script>', '\\xHH')
  t.equal(jsDecode('\\u0061lert'), 'alert', '\\uHHHH keeps the low byte')
  t.equal(jsDecode('\\uff1c'), '<', 'full-width folds')
  t.equal(jsDecode('\\74\\101'), '<A', 'octal')
  t.equal(jsDecode('\\400'), ' 0', 'octal stops before exceeding \\377')
  t.equal(jsDecode('\\n\\t\\q'), '\n\tq', 'simple escapes, unknown escape drops the backslash')
  t.equal(jsDecode('end\\'), 'end\\', 'trailing backslash kept')
  t.equal(jsDecode('\\x4'), 'x4', 'short \\x is an unknown escape')
})

t.test('jsDecode is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, jsDecode)
})
