import t from 'tap'
import { cmdLine } from '../../../../lib/rules/transformations/cmd-line.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'

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

t.test('cmdLine is linear on 100 KB of adversarial input', async t => {
  for (const s of ['%'.repeat(1e5), '&#'.repeat(5e4), '\\'.repeat(1e5), '/*'.repeat(5e4), '../'.repeat(33334), 'a'.repeat(1e5) + '!']) {
    t.type(cmdLine(s), 'string')
  }
})
