import t from 'tap'
import { lowercase } from '../../../../lib/rules/transformations/lowercase.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('lowercase is registered under its name', async t => {
  t.equal(getTransformation('lowercase')?.fn, lowercase)
  t.equal(getTransformation('lowercase')?.name, 'lowercase', 'names are case-insensitive')
})

t.test('lowercase', async t => {
  t.equal(lowercase('UNION Select'), 'union select', 'ASCII letters')
  t.equal(lowercase('abc'), 'abc', 'already lower')
  t.equal(lowercase('\xc3\x89T\xc9'), '\xc3\x89t\xc9', 'bytes >= 0x80 untouched (C tolower), only ASCII folds')
})

t.test('lowercase changes ASCII letters only, every other byte (µ, ß, ÿ, É) as it is', async t => {
  const fc = (await import('fast-check')).default
  const reference = (s: string): string => [...s].map(c => c.charCodeAt(0) >= 65 && c.charCodeAt(0) <= 90 ? String.fromCharCode(c.charCodeAt(0) + 32) : c).join('')
  t.equal(lowercase('a\u00b5\u00df\u00ff\u00c9Z'), reference('a\u00b5\u00df\u00ff\u00c9Z'))
  fc.assert(fc.property(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map(c => String.fromCharCode(c)), maxLength: 40 }), s => lowercase(s) === reference(s)), { numRuns: 3000 })
})

t.test('lowercase is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, lowercase)
})
