import t from 'tap'
import { urlDecodeUni } from '../../../../lib/rules/transformations/url-decode-uni.js'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

t.test('urlDecodeUni is registered under its name', async t => {
  t.equal(getTransformation('urlDecodeUni')?.fn, urlDecodeUni)
  t.equal(getTransformation('urldecodeuni')?.name, 'urlDecodeUni', 'names are case-insensitive')
})

t.test('urlDecodeUni', async t => {
  t.equal(urlDecodeUni('%u0027'), '\'', 'ModSecurity: %u0027 is a quote')
  t.equal(urlDecodeUni('%uff07'), '\'', 'full-width apostrophe folds to ASCII')
  t.equal(urlDecodeUni('%U003C'), '<', 'upper-case U')
  t.equal(urlDecodeUni('%u12'), '%u12', 'truncated %u kept')
  t.equal(urlDecodeUni('%u00zz'), '%u00zz', 'invalid %u kept')
  t.equal(urlDecodeUni('a%20b+c'), 'a b c', '%HH and plus')
  t.equal(urlDecodeUni('%2527'), '%27', 'decodes once')
})

t.test('urlDecodeUni is linear on 100 KB of adversarial input', async t => {
  assertLinearOnShapes(t, urlDecodeUni)
})

t.test('urlDecodeUni agrees with urlDecode where there is no %u', async t => {
  const { default: fc } = await import('fast-check')
  const { urlDecode } = await import('../../../../lib/rules/transformations/url-decode.js')
  const alphabet = fc.constantFrom('%', '+', '0', '7', 'a', 'F', 'g', 'z', ' ', '\xe9', '2', 'f')
  fc.assert(fc.property(fc.array(alphabet, { maxLength: 30 }).map(a => a.join('')), s => urlDecodeUni(s) === urlDecode(s)), { numRuns: 5000 })
  t.equal(urlDecodeUni('%41%u0042%43'), 'ABC', 'mixed %HH and %uHHHH')
})
