import t from 'tap'
import { urlDecode } from '../../../../lib/rules/transformations/url-decode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'

t.test('urlDecode is registered under its name', async t => {
  t.equal(getTransformation('urlDecode')?.fn, urlDecode)
  t.equal(getTransformation('urldecode')?.name, 'urlDecode', 'names are case-insensitive')
})

t.test('urlDecode', async t => {
  t.equal(urlDecode('a%27b'), 'a\'b', '%HH')
  t.equal(urlDecode('a+b'), 'a b', 'plus is a space')
  t.equal(urlDecode('%zz%4'), '%zz%4', 'invalid and truncated escapes kept')
  t.equal(urlDecode('%c3%a9'), '\xc3\xa9', 'decodes to bytes, not characters')
  t.equal(urlDecode('%u0027'), '%u0027', 'no %u form')
  t.equal(urlDecode('100%'), '100%', 'lone percent kept')
})

t.test('urlDecode is linear on 100 KB of adversarial input', async t => {
  for (const s of ['%'.repeat(1e5), '&#'.repeat(5e4), '\\'.repeat(1e5), '/*'.repeat(5e4), '../'.repeat(33334), 'a'.repeat(1e5) + '!']) {
    t.type(urlDecode(s), 'string')
  }
})
