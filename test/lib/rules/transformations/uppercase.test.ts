import t from 'tap'
import { uppercase } from '../../../../lib/rules/transformations/uppercase.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'

t.test('uppercase is registered under its name', async t => {
  t.equal(getTransformation('uppercase')?.fn, uppercase)
  t.equal(getTransformation('uppercase')?.name, 'uppercase', 'names are case-insensitive')
})

t.test('uppercase', async t => {
  t.equal(uppercase('union Select'), 'UNION SELECT', 'ASCII letters')
  t.equal(uppercase('\xe9t\xff'), '\xe9T\xff', 'bytes >= 0x80 untouched')
})

t.test('uppercase is linear on 100 KB of adversarial input', async t => {
  for (const s of ['%'.repeat(1e5), '&#'.repeat(5e4), '\\'.repeat(1e5), '/*'.repeat(5e4), '../'.repeat(33334), 'a'.repeat(1e5) + '!']) {
    t.type(uppercase(s), 'string')
  }
})
