import t from 'tap'
import { cmdLine } from '../../../../lib/rules/transformations/cmd-line.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('cmdLine is registered under its name', async t => {
  t.equal(getTransformation('cmdLine')?.fn, cmdLine)
  t.equal(getTransformation('cmdline')?.name, 'cmdLine', 'names are case-insensitive')
})

t.test('cmdLine', async t => {
  t.equal(cmdLine('c^ommand /c'), 'command/c', 'ModSecurity example')
  t.equal(cmdLine('\"w\"h\\o\'am\'i'), 'whoami', 'quotes and backslashes dropped')
  t.equal(cmdLine('a ,; \t b'), 'a b', 'separators collapse to one space')
  t.equal(cmdLine('CAT  (x)'), 'cat(x)', 'space before ( dropped, lowercased')
  t.equal(cmdLine('a " b'), 'a b', 'a dropped character does not split a run')
})

t.test('cmdLine: the byte loop (short values) and the regex rules (long values) agree', async t => {
  const fc = (await import('fast-check')).default
  // ModSecurity's rules as regex replacements, the reference.
  const reference = (s: string): string => {
    if (!/[\\"'^,;\t\r\n/(]| {2}|[A-Z]/.test(s)) return s
    return s.replace(/[\\"'^]/g, '').replace(/[ ,;\t\r\n]+/g, ' ').replace(/ (?=[/(])/g, '').replace(/[A-Z]/g, c => c.toLowerCase())
  }
  const unit = fc.constantFrom(...'aZ "\'\\^,;\t\r\n/(xY+=!\u00c9\u0100'.split(''))
  fc.assert(fc.property(fc.string({ unit, maxLength: 700 }), s => cmdLine(s) === reference(s)), { numRuns: 3000 })
  t.pass('random values up to 700 characters')
})

t.test('cmdLine is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, cmdLine)
})
