import t from 'tap'
import { removeCommentsChar } from '../../../../../lib/rules/seclang/transformations/remove-comments-char.js'

t.test('removeCommentsChar', async t => {
  t.equal(removeCommentsChar('UNION/**/SELECT'), 'UNIONSELECT')
  t.equal(removeCommentsChar('a<!--b-->c--d#e'), 'abcde')
  t.equal(removeCommentsChar('1-2'), '1-2')
  t.equal(removeCommentsChar('/*x*/'), 'x')
})
