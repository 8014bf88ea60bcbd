import t from 'tap'
import { normalizePathWin } from '../../../../lib/rules/transformations/normalize-path-win.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('normalizePathWin is registered under its name', async t => {
  t.equal(getTransformation('normalizePathWin')?.fn, normalizePathWin)
  t.equal(getTransformation('normalizepathwin')?.name, 'normalizePathWin', 'names are case-insensitive')
})

t.test('normalizePathWin', async t => {
  t.equal(normalizePathWin('c:\\a\\..\\windows\\.\\win.ini'), 'c:/windows/win.ini', 'backslashes')
})

t.test('normalizePathWin is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, normalizePathWin)
})
