import t from 'tap'
import { replaceComments } from '../../../../../lib/rules/seclang/transformations/replace-comments.js'

t.test('replaceComments', async t => {
  t.equal(replaceComments('UNION/**/SELECT'), 'UNION SELECT')
  t.equal(replaceComments('a/* x */b/*y*/c'), 'a b c')
  t.equal(replaceComments('a/* open'), 'a ')
  t.equal(replaceComments('a*/b/'), 'a*/b/')
  t.equal(replaceComments('/**/'), ' ')
})
