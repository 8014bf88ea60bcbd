import t from 'tap'
import { htmlEntityDecode } from '../../../../lib/rules/transformations/html-entity-decode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('htmlEntityDecode is registered under its name', async t => {
  t.equal(getTransformation('htmlEntityDecode')?.fn, htmlEntityDecode)
  t.equal(getTransformation('htmlentitydecode')?.name, 'htmlEntityDecode', 'names are case-insensitive')
})

t.test('htmlEntityDecode', async t => {
  t.equal(htmlEntityDecode('&#x27;'), '\'', 'hex entity')
  t.equal(htmlEntityDecode('&apos;'), '\'', '&apos;')
  t.equal(htmlEntityDecode('&#39;&#x3C;'), '\'<', 'decimal and hex')
  t.equal(htmlEntityDecode('&lt;script&gt;'), '<script>', 'named')
  t.equal(htmlEntityDecode('&#x3cz'), '<z', 'semicolon optional on numeric entities')
  t.equal(htmlEntityDecode('&#x3cb'), '\xcf\x8b', 'hex digits run on: &#x3cb is U+03CB')
  t.equal(htmlEntityDecode('&QUOT;'), '"', 'names case-insensitive')
  t.equal(htmlEntityDecode('&colon;&Tab;'), ':\t', 'HTML5 names used by XSS payloads')
  t.equal(htmlEntityDecode('&colon'), '&colon', 'HTML5 names need their semicolon')
  t.equal(htmlEntityDecode('&unknown;'), '&unknown;', 'unknown entity kept')
  t.equal(htmlEntityDecode('&#;&#x;'), '&#;&#x;', 'no digits: kept')
  t.equal(htmlEntityDecode('&nbsp;'), '\xa0', 'nbsp is the byte 0xa0')
  t.equal(htmlEntityDecode('&#x263A;'), '\xe2\x98\xba', 'code points above 0xff become UTF-8 bytes')
  t.equal(htmlEntityDecode('&#99999999999999;'), '\xef\xbf\xbd', 'out of range gives U+FFFD')
})

t.test('htmlEntityDecode is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, htmlEntityDecode)
})
