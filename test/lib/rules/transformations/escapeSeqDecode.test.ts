import t from 'tap'
import { escapeSeqDecode } from '../../../../lib/rules/transformations/escape-seq-decode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('escapeSeqDecode is registered under its name', async t => {
  t.equal(getTransformation('escapeSeqDecode')?.fn, escapeSeqDecode)
  t.equal(getTransformation('escapeseqdecode')?.name, 'escapeSeqDecode', 'names are case-insensitive')
})

t.test('escapeSeqDecode', async t => {
  t.equal(escapeSeqDecode('\\x41\\102\\n'), 'AB\n', 'hex, octal, simple')
  t.equal(escapeSeqDecode('\\q'), 'q', 'unknown escape gives the character')
  t.equal(escapeSeqDecode('a\\'), 'a\\', 'trailing backslash kept')
})

t.test('escapeSeqDecode is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, escapeSeqDecode)
})
