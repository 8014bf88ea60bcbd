import t from 'tap'
import { normalizePath } from '../../../../lib/rules/transformations/normalize-path.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('normalizePath is registered under its name', async t => {
  t.equal(getTransformation('normalizePath')?.fn, normalizePath)
  t.equal(getTransformation('normalizepath')?.name, 'normalizePath', 'names are case-insensitive')
})

t.test('normalizePath', async t => {
  t.equal(normalizePath('/a/./b/../c//d'), '/a/c/d', 'ModSecurity example')
  t.equal(normalizePath('/../../etc/passwd'), '/etc/passwd', 'cannot climb above the root')
  t.equal(normalizePath('a/../../b'), '../b', 'relative keeps leading ..')
  t.equal(normalizePath('/a/b/'), '/a/b/', 'trailing slash kept')
  t.equal(normalizePath('/a/b/..'), '/a/', 'ends in .. keeps a slash')
  t.equal(normalizePath('/a/b'), '/a/b', 'unchanged')
})

t.test('normalizePath is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, normalizePath)
})
