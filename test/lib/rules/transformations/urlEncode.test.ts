import t from 'tap'
import { urlEncode } from '../../../../lib/rules/transformations/url-encode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('urlEncode is registered under its name', async t => {
  t.equal(getTransformation('urlEncode')?.fn, urlEncode)
  t.equal(getTransformation('urlencode')?.name, 'urlEncode', 'names are case-insensitive')
})

t.test('urlEncode', async t => {
  t.equal(urlEncode('a b\'<'), 'a+b%27%3C', 'reserved bytes')
  t.equal(urlEncode('-_.~'), '-_.~', 'unreserved kept')
  t.equal(urlEncode('\xff'), '%FF', 'byte')
})

t.test('urlEncode is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, urlEncode)
})
