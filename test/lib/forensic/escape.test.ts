import t from 'tap'
import { FORENSIC_ESCAPE, forensicEscape, forensicUnescape, isClean } from '../../../lib/forensic/escape.js'
import { stringRepresentations } from '../../helpers/string-representations.js'

// The rule as httpd's gen_test_char.c states it for T_ESCAPE_FORENSIC:
// !apr_isprint(c) || c == ':' || c == '|' || c == '%'  (C locale: printable is 0x20..0x7e).
function httpdEscapes (b: number): boolean {
  return !(b >= 0x20 && b <= 0x7e) || b === 0x3a || b === 0x7c || b === 0x25
}

t.test('the table escapes exactly the bytes httpd escapes', async t => {
  for (let b = 0; b < 256; b++) t.equal(FORENSIC_ESCAPE[b] === 1, httpdEscapes(b), `byte 0x${b.toString(16)}`)
})

t.test('every byte value is written as %xx in lowercase hex, or as itself', async t => {
  for (let b = 0; b < 256; b++) {
    const s = String.fromCharCode(b)
    const want = httpdEscapes(b) ? '%' + b.toString(16).padStart(2, '0') : s
    t.equal(forensicEscape(s), want, `byte 0x${b.toString(16)}`)
  }
  t.equal(forensicEscape('a|b:c%d\te\r\nf'), 'a%7cb%3ac%25d%09e%0d%0af')
  t.equal(forensicEscape(' space stays '), ' space stays ')
  t.equal(forensicEscape('\x00'), '%00')
  t.equal(forensicEscape('\x7f\x80\xff'), '%7f%80%ff')
})

t.test('UTF-8 is escaped byte by byte', async t => {
  // As Node hands it over: the bytes decoded as latin1.
  const wire = Buffer.from('é/日本', 'utf8').toString('latin1')
  t.equal(forensicEscape(wire), '%c3%a9/%e6%97%a5%e6%9c%ac')
  // A string made by the app (chars above 0xff) is logged as its UTF-8 bytes, losslessly.
  t.equal(forensicEscape('é日😀'), '%e9%e6%97%a5%f0%9f%98%80')
})

t.test('a clean string is returned as is', async t => {
  const s = 'Mozilla/5.0 (X11; Linux x86_64)'.replace(':', '')
  t.ok(isClean(s))
  t.equal(forensicEscape(s), s)
  t.notOk(isClean('a:b'))
  t.notOk(isClean('日'))
})

t.test('unescape undoes escape on every byte', async t => {
  let all = ''
  for (let b = 0; b < 256; b++) all += String.fromCharCode(b)
  t.equal(forensicUnescape(forensicEscape(all)), all)
  t.equal(forensicUnescape('%4A%4a'), 'JJ', 'upper and lower hex digits')
})

t.test('a stray % is kept, or refused in strict mode', async t => {
  t.equal(forensicUnescape('100%'), '100%')
  t.equal(forensicUnescape('%zz%4'), '%zz%4')
  t.throws(() => forensicUnescape('%zz', true), SyntaxError)
  t.throws(() => forensicUnescape('ab%4', true), SyntaxError)
})

/** The escaping byte by byte, as httpd's rule says, for a string of chars up to 0xff. */
function httpdEscape (s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i)
    out += httpdEscapes(b) ? '%' + b.toString(16).padStart(2, '0') : s[i]
  }
  return out
}


t.test('long strings (the regular-expression scan) and short ones (the loop) escape exactly as httpd, every byte at every place', async t => {
  let bad = 0
  let checked = 0
  for (const len of [1, 2, 12, 13, 14, 40]) {
    for (let b = 0; b < 256; b++) {
      const c = String.fromCharCode(b)
      for (const at of [0, len >> 1, len - 1]) {
        const s = 'a'.repeat(at) + c + 'b'.repeat(len - 1 - at)
        const want = httpdEscape(s)
        // and as Node's parser makes it: a sequential string decoded from latin1 bytes.
        for (const r of [...stringRepresentations(s), Buffer.from(s, 'latin1').toString('latin1')]) {
          checked++
          if (forensicEscape(r) !== want || isClean(r) !== (want === s)) bad++
        }
      }
    }
  }
  t.equal(bad, 0, `${checked} strings`)
  // Past 0xff (app-made strings) in a long string: found by the scan, escaped as UTF-8.
  t.equal(forensicEscape('abcdefghijklmnop日'), 'abcdefghijklmnop%e6%97%a5')
  t.notOk(isClean('abcdefghijklmnop日'))
})
