import t from 'tap'
import { uppercase } from '../../../../lib/rules/transformations/uppercase.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('uppercase is registered under its name', async t => {
  t.equal(getTransformation('uppercase')?.fn, uppercase)
  t.equal(getTransformation('uppercase')?.name, 'uppercase', 'names are case-insensitive')
})

t.test('uppercase', async t => {
  t.equal(uppercase('union Select'), 'UNION SELECT', 'ASCII letters')
  t.equal(uppercase('\xe9t\xff'), '\xe9T\xff', 'bytes >= 0x80 untouched')
})

t.test('uppercase changes ASCII letters only, every other byte (µ, ß, ÿ, É) as it is', async t => {
  const fc = (await import('fast-check')).default
  const reference = (s: string): string => [...s].map(c => c.charCodeAt(0) >= 97 && c.charCodeAt(0) <= 122 ? String.fromCharCode(c.charCodeAt(0) - 32) : c).join('')
  t.equal(uppercase('a\u00b5\u00df\u00ff\u00c9Z'), reference('a\u00b5\u00df\u00ff\u00c9Z'))
  fc.assert(fc.property(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map(c => String.fromCharCode(c)), maxLength: 40 }), s => uppercase(s) === reference(s)), { numRuns: 3000 })
})

t.test('uppercase is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, uppercase)
})
