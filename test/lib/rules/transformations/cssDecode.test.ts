import t from 'tap'
import { cssDecode } from '../../../../lib/rules/transformations/css-decode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('cssDecode is registered under its name', async t => {
  t.equal(getTransformation('cssDecode')?.fn, cssDecode)
  t.equal(getTransformation('cssdecode')?.name, 'cssDecode', 'names are case-insensitive')
})

t.test('cssDecode', async t => {
  t.equal(cssDecode('\\3c script'), '<script', 'hex escape eats one space')
  t.equal(cssDecode('\\000065xpression'), 'expression', 'six digits')
  t.equal(cssDecode('\\65 \\78'), 'ex', 'each escape eats a space')
  t.equal(cssDecode('a\\\nb'), 'ab', 'backslash-newline removed')
  t.equal(cssDecode('\\"'), '"', 'other escapes give the character')
  t.equal(cssDecode('ab\\'), 'ab', 'trailing backslash removed')
  t.equal(cssDecode('\\ff1c'), '<', 'full-width folds')
})

t.test('cssDecode is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, cssDecode)
})
