import t from 'tap'
import { urlDecode } from '../../../../lib/rules/transformations/url-decode.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

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
  assertLinearOnShapes(t, urlDecode)
})

t.test('urlDecode agrees with a byte-by-byte reference on random input', async t => {
  const { default: fc } = await import('fast-check')
  const hex = (c: number): number => c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
  const reference = (s: string): string => {
    let out = ''
    for (let i = 0; i < s.length; i++) {
      const c = s[i]
      if (c === '+') out += ' '
      else if (c === '%' && i + 2 < s.length && hex(s.charCodeAt(i + 1)) >= 0 && hex(s.charCodeAt(i + 2)) >= 0) {
        out += String.fromCharCode(hex(s.charCodeAt(i + 1)) * 16 + hex(s.charCodeAt(i + 2)))
        i += 2
      } else out += c
    }
    return out
  }
  const alphabet = fc.constantFrom('%', '+', 'u', 'U', '0', '7', 'a', 'F', 'g', 'z', ' ', '\xe9', '2')
  fc.assert(fc.property(fc.array(alphabet, { maxLength: 30 }).map(a => a.join('')), s => urlDecode(s) === reference(s)), { numRuns: 5000 })
  t.pass('5000 random strings')
})
