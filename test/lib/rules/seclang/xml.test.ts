import t from 'tap'
import { parseXmlBody, decodeEntities } from '../../../../lib/rules/seclang/xml.js'
import { assertLinear } from '../../../helpers/linear.js'

t.test('text content and attribute values, as XML:/* and XML://@* see them', async t => {
  const r = parseXmlBody('<?xml version="1.0"?><!-- c --><root a="1"><x b=\'&lt;2&gt;\'>he&amp;llo</x> <![CDATA[<raw>]]><y/>z</root>')
  t.equal(r.error, undefined)
  t.equal(r.text, 'he&llo <raw>z')
  t.same(r.attributes, [{ name: 'a', value: '1' }, { name: 'b', value: '<2>' }])
})

t.test('a DOCTYPE with an internal subset is skipped, never resolved', async t => {
  const r = parseXmlBody('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')
  t.equal(r.error, undefined)
  t.equal(r.text, '&x;')
})

t.test('malformed documents are errors that keep what was read', async t => {
  t.match(parseXmlBody('var=1').error, /text outside the document element/)
  t.match(parseXmlBody('<a><b></a').error, /unterminated end tag/)
  t.match(parseXmlBody('<a>x').error, /unclosed element/)
  t.match(parseXmlBody('<a></a><b/>').error, /more than one document element/)
  t.match(parseXmlBody('<a x=1/>').error, /not quoted/)
  t.match(parseXmlBody('').error, /no document element/)
  const partial = parseXmlBody('<a p="v">text<!-- open')
  t.equal(partial.text, 'text')
  t.same(partial.attributes, [{ name: 'p', value: 'v' }])
})

t.test('deep nesting is linear', async t => {
  const depth = 100000
  const nested = (n: number): string => '<a>'.repeat(n) + 'x' + '</a>'.repeat(n)
  const r = parseXmlBody(nested(depth))
  t.equal(r.error, undefined)
  t.equal(r.text, 'x')
  assertLinear(t, 'elements nested n deep', parseXmlBody, nested, { small: depth / 10, large: depth })
})

t.test('entities', async t => {
  t.equal(decodeEntities('&#x27;&#39;&quot;&unknown;&#0;&#233;'), '\'\'"&unknown;&#0;\xc3\xa9')
})
