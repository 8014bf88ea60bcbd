import t from 'tap'
import { none } from '../../../../lib/rules/transformations/none.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'

t.test('none is registered under its name', async t => {
  t.equal(getTransformation('none')?.fn, none)
  t.equal(getTransformation('none')?.name, 'none', 'names are case-insensitive')
})

t.test('none', async t => {
  t.equal(none('a%20B'), 'a%20B', 'unchanged')
})

t.test('none is linear on 100 KB of adversarial input', async t => {
  for (const s of ['%'.repeat(1e5), '&#'.repeat(5e4), '\\'.repeat(1e5), '/*'.repeat(5e4), '../'.repeat(33334), 'a'.repeat(1e5) + '!']) {
    t.type(none(s), 'string')
  }
})
