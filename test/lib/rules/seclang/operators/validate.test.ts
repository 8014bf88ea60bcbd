import t from 'tap'
import { compileValidateByteRange } from '../../../../../lib/rules/seclang/operators/validate-byte-range.js'
import { validateUrlEncoding } from '../../../../../lib/rules/seclang/operators/validate-url-encoding.js'
import { validateUtf8Encoding } from '../../../../../lib/rules/seclang/operators/validate-utf8-encoding.js'

const bytes = (...b: number[]): string => String.fromCharCode(...b)

t.test('validateByteRange', async t => {
  const printable = compileValidateByteRange('9,10,13,32-126')
  t.equal(printable('hello world\t\r\n'), false)
  t.equal(printable('a\x00b'), true)
  t.equal(printable(bytes(0xc3, 0xa9)), true)
  t.equal(printable('\x7f'), true)
  t.equal(compileValidateByteRange('1-255')(bytes(0xff, 1)), false)
  t.equal(compileValidateByteRange('1-255')('\x00'), true)
  t.equal(compileValidateByteRange('38, 44-46, 48-58, 61, 65-90, 95, 97-122')('a.b=c'), false)
  t.throws(() => compileValidateByteRange('300'), /invalid byte range "300"/)
  t.throws(() => compileValidateByteRange('9-1'), /invalid byte range/)
  t.throws(() => compileValidateByteRange('a-b'), /invalid byte range/)
})

t.test('validateUrlEncoding', async t => {
  t.equal(validateUrlEncoding('a%20b%2F'), false)
  t.equal(validateUrlEncoding('no percent'), false)
  t.equal(validateUrlEncoding('a%2'), true, 'not enough characters at the end')
  t.equal(validateUrlEncoding('a%'), true)
  t.equal(validateUrlEncoding('%zz'), true, 'non-hexadecimal digits')
  t.equal(validateUrlEncoding('%41%g1'), true)
})

t.test('validateUtf8Encoding', async t => {
  t.equal(validateUtf8Encoding('ascii'), false)
  t.equal(validateUtf8Encoding(bytes(0xc3, 0xa9)), false, 'é')
  t.equal(validateUtf8Encoding(bytes(0xe2, 0x82, 0xac)), false, '€')
  t.equal(validateUtf8Encoding(bytes(0xf0, 0x9f, 0x98, 0x80)), false, 'emoji')
  t.equal(validateUtf8Encoding(bytes(0xc0, 0xaf)), true, 'overlong /')
  t.equal(validateUtf8Encoding(bytes(0xe0, 0x80, 0xaf)), true, 'overlong 3-byte')
  t.equal(validateUtf8Encoding(bytes(0xed, 0xa0, 0x80)), true, 'surrogate')
  t.equal(validateUtf8Encoding(bytes(0xf4, 0x90, 0x80, 0x80)), true, 'past U+10FFFF')
  t.equal(validateUtf8Encoding(bytes(0xc3)), true, 'truncated')
  t.equal(validateUtf8Encoding(bytes(0x80)), true, 'stray continuation')
  t.equal(validateUtf8Encoding(bytes(0xc3, 0x41)), true, 'bad continuation')
  t.equal(validateUtf8Encoding('\u20ac'), true, 'a non-byte string is never valid')
})
