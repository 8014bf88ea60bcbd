import t from 'tap'
import { utf8toUnicode } from '../../../../lib/rules/transformations/utf8-to-unicode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('utf8toUnicode is registered under its name', async t => {
  t.equal(getTransformation('utf8toUnicode')?.fn, utf8toUnicode)
  t.equal(getTransformation('utf8tounicode')?.name, 'utf8toUnicode', 'names are case-insensitive')
})

t.test('utf8toUnicode', async t => {
  t.equal(utf8toUnicode('caf\xc3\xa9'), 'caf%u00e9', 'two-byte sequence')
  t.equal(utf8toUnicode('\xe2\x98\xba'), '%u263a', 'three bytes')
  t.equal(utf8toUnicode('\xf0\x9f\x98\x80'), '%u1f600', 'four bytes')
  t.equal(utf8toUnicode('a\xffb'), 'a\xffb', 'invalid byte kept')
  t.equal(utf8toUnicode('\xc3'), '\xc3', 'truncated sequence kept')
})

t.test('utf8toUnicode is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, utf8toUnicode)
})
