import t from 'tap'
import { removeCommentsChar } from '../../../../lib/rules/transformations/remove-comments-char.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('removeCommentsChar is registered under its name', async t => {
  t.equal(getTransformation('removeCommentsChar')?.fn, removeCommentsChar)
  t.equal(getTransformation('removecommentschar')?.name, 'removeCommentsChar', 'names are case-insensitive')
})

t.test('removeCommentsChar', async t => {
  t.equal(removeCommentsChar('/*!union*/ --x #y <!--z-->'), '!union x y z', 'only the marks go')
})

t.test('removeCommentsChar is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, removeCommentsChar)
})
