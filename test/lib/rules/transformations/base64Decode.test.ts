import t from 'tap'
import { base64Decode } from '../../../../lib/rules/transformations/base64-decode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'

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

t.test('base64Decode is linear on 100 KB of adversarial input', async t => {
  for (const s of ['%'.repeat(1e5), '&#'.repeat(5e4), '\\'.repeat(1e5), '/*'.repeat(5e4), '../'.repeat(33334), 'a'.repeat(1e5) + '!']) {
    t.type(base64Decode(s), 'string')
  }
})
