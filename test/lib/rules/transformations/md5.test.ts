import t from 'tap'
import { md5 } from '../../../../lib/rules/transformations/md5.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('md5 is registered under its name', async t => {
  t.equal(getTransformation('md5')?.fn, md5)
  t.equal(getTransformation('md5')?.name, 'md5', 'names are case-insensitive')
})

t.test('md5 gives the 16 raw digest bytes', async t => {
  t.equal(Buffer.from(md5('abc'), 'latin1').toString('hex'), '900150983cd24fb0d6963f7d28e17f72')
})

t.test('md5 is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, md5)
})
