import t from 'tap'
import { base64Decode } from '../../../../lib/rules/transformations/base64-decode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('base64Decode is registered under its name', async t => {
  t.equal(getTransformation('base64Decode')?.fn, base64Decode)
  t.equal(getTransformation('base64decode')?.name, 'base64Decode', 'names are case-insensitive')
})

t.test('base64Decode', async t => {
  t.equal(base64Decode('c2VsZWN0'), 'select', 'plain')
  t.equal(base64Decode('c2VsZWN0IDE='), 'select 1', 'padded')
  t.equal(base64Decode('c2Vs!ZWN0'), 'sel', 'stops at the first invalid character')
  t.equal(base64Decode(''), '', 'empty')
})

t.test('base64Decode agrees with Node\'s decoder on the Base64 prefix, short (byte loop) and long (native) alike', async t => {
  const fc = (await import('fast-check')).default
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const reference = (s: string): string => Buffer.from(/^[A-Za-z0-9+/]*/.exec(s)![0], 'base64').toString('latin1')
  const unit = fc.constantFrom(...(alphabet + '=!% \u00e9\u0100').split(''))
  fc.assert(fc.property(fc.string({ unit, maxLength: 1200 }), s => base64Decode(s) === reference(s)), { numRuns: 3000 })
  for (const n of [1, 2, 3, 4, 511, 512, 513, 2000]) t.equal(base64Decode('QUJD'.repeat(n).slice(0, n) + '!x'), reference('QUJD'.repeat(n).slice(0, n)), `${n} characters`)
})

t.test('base64Decode is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, base64Decode)
})
