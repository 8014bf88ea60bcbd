import t from 'tap'
import { sha1 } from '../../../../lib/rules/transformations/sha1.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('sha1 is registered under its name', async t => {
  t.equal(getTransformation('sha1')?.fn, sha1)
  t.equal(getTransformation('sha1')?.name, 'sha1', 'names are case-insensitive')
})

t.test('sha1 gives the 20 raw digest bytes', async t => {
  t.equal(Buffer.from(sha1('abc'), 'latin1').toString('hex'), 'a9993e364706816aba3e25717850c26c9cd0d89d')
  t.equal(sha1('abc').length, 20)
})

t.test('sha1 is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, sha1)
})
