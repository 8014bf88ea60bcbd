/** Transformation properties checked on random input against a reference (fast-check); the fixed cases are in testdata.json. */
import t from 'tap'
import fc from 'fast-check'
import { getTransformation } from '../../../../lib/rules/transformations/index.js'
import type { TransformFn } from '../../../../lib/rules/model.js'
import { NAMED_ENTITIES } from '../../../../lib/rules/transformations/html-entity-decode.js'
import { codePointBytes } from '../../../../lib/rules/bytes.js'

function registered (name: string): TransformFn {
  const fn = getTransformation(name)?.fn
  if (fn === undefined) throw new Error(`no transformation ${name}`)
  return fn
}

t.test('base64Decode agrees with Node\'s decoder on the Base64 prefix, short (byte loop) and long (native) alike', async t => {
  const base64Decode = registered('base64Decode')
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const reference = (s: string): string => Buffer.from(/^[A-Za-z0-9+/]*/.exec(s)![0], 'base64').toString('latin1')
  const unit = fc.constantFrom(...(alphabet + '=!% \u00e9\u0100').split(''))
  fc.assert(fc.property(fc.string({ unit, maxLength: 1200 }), s => base64Decode(s) === reference(s)), { numRuns: 3000 })
  for (const n of [1, 2, 3, 4, 511, 512, 513, 2000]) t.equal(base64Decode('QUJD'.repeat(n).slice(0, n) + '!x'), reference('QUJD'.repeat(n).slice(0, n)), `${n} characters`)
})

t.test('cmdLine: the byte loop (short values) and the regex rules (long values) agree', async t => {
  const cmdLine = registered('cmdLine')
  // ModSecurity's rules as regex replacements, the reference.
  const reference = (s: string): string => {
    if (!/[\\"'^,;\t\r\n/(]| {2}|[A-Z]/.test(s)) return s
    return s.replace(/[\\"'^]/g, '').replace(/[ ,;\t\r\n]+/g, ' ').replace(/ (?=[/(])/g, '').replace(/[A-Z]/g, c => c.toLowerCase())
  }
  const unit = fc.constantFrom(...'aZ "\'\\^,;\t\r\n/(xY+=!\u00c9\u0100'.split(''))
  fc.assert(fc.property(fc.string({ unit, maxLength: 700 }), s => cmdLine(s) === reference(s)), { numRuns: 3000 })
  t.pass('random values up to 700 characters')
})

for (const [name, from, to] of [['lowercase', 65, 32], ['uppercase', 97, -32]] as const) {
  t.test(`${name} changes ASCII letters only, every other byte (µ, ß, ÿ, É) as it is`, async t => {
    const fn = registered(name)
    const reference = (s: string): string => [...s].map(c => c.charCodeAt(0) >= from && c.charCodeAt(0) <= from + 25 ? String.fromCharCode(c.charCodeAt(0) + to) : c).join('')
    t.equal(fn('a\u00b5\u00df\u00ff\u00c9Z'), reference('a\u00b5\u00df\u00ff\u00c9Z'))
    fc.assert(fc.property(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map(c => String.fromCharCode(c)), maxLength: 40 }), s => fn(s) === reference(s)), { numRuns: 3000 })
  })
}

t.test('urlDecode agrees with a byte-by-byte reference on random input', async t => {
  const urlDecode = registered('urlDecode')
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

t.test('htmlEntityDecode agrees with a regex reference: numeric entities, names in any case, the optional semicolon of the legacy five', async t => {
  const htmlEntityDecode = registered('htmlEntityDecode')
  const legacy = new Set(['quot', 'amp', 'lt', 'gt', 'nbsp'])
  const reference = (s: string): string => s.replace(/&(?:#[xX]([0-9a-fA-F]+)|#([0-9]+)|([a-zA-Z0-9]+))(;?)/g, (all, hex?: string, dec?: string, name?: string, semi?: string) => {
    if (name === undefined) {
      const cp = hex !== undefined ? parseInt(hex, 16) : parseInt(dec as string, 10)
      return codePointBytes(cp > 0x10ffff ? 0xfffd : cp)
    }
    const lower = name.toLowerCase()
    const value = Object.hasOwn(NAMED_ENTITIES, lower) ? NAMED_ENTITIES[lower] : undefined
    if (value === undefined || (semi === '' && !legacy.has(lower))) return all
    return value
  })
  const names = Object.keys(NAMED_ENTITIES)
  const unit = fc.oneof(
    fc.constantFrom('&', '&', '#', 'x', 'X', ';', '0', '3', '9', 'c', 'F', 'a', 'Q', 'z', ' ', '=', '\xe9'),
    fc.constantFrom(...names, ...names.map(n => n.toUpperCase()), 'NewLine', 'Tab', 'field12', 'ampx', 'constructor', 'toString')
  )
  fc.assert(fc.property(fc.array(unit, { maxLength: 30 }).map(a => a.join('')), s => htmlEntityDecode(s) === reference(s)), { numRuns: 8000 })
  const form = 'a=1&field12=x&amp=2&lt;&LT&colon&colon;&#x3c&#60;&#1114112;&toString;'
  t.equal(htmlEntityDecode(form), reference(form))
  t.equal(htmlEntityDecode(form), 'a=1&field12=x&=2<<&colon:<<\xef\xbf\xbd&toString;')
})

t.test('urlDecodeUni agrees with urlDecode where there is no %u', async t => {
  const urlDecode = registered('urlDecode')
  const urlDecodeUni = registered('urlDecodeUni')
  const alphabet = fc.constantFrom('%', '+', '0', '7', 'a', 'F', 'g', 'z', ' ', '\xe9', '2', 'f')
  fc.assert(fc.property(fc.array(alphabet, { maxLength: 30 }).map(a => a.join('')), s => urlDecodeUni(s) === urlDecode(s)), { numRuns: 5000 })
  t.pass('5000 random strings')
})
