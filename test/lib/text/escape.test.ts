import t from 'tap'
import fc from 'fast-check'
import { asText, escapeDefault, escapeJson, escapeNone, escaperOf, missingOf } from '../../../lib/text/escape.js'

/** ngx_http_log_escape's table, written out bit by bit as in ngx_http_log_module.c. */
const NGINX_DEFAULT_TABLE = [0xffffffff, 0x00000004, 0x10000000, 0x80000000, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]

function nginxEscapes (b: number): boolean {
  return (NGINX_DEFAULT_TABLE[b >> 5] & (1 << (b & 0x1f))) !== 0
}

t.test('escape=default: every byte as ngx_http_log_escape treats it', async t => {
  for (let b = 0; b < 256; b++) {
    const s = 'a' + String.fromCharCode(b) + 'z'
    const want = nginxEscapes(b) ? 'a\\x' + b.toString(16).toUpperCase().padStart(2, '0') + 'z' : s
    t.equal(escapeDefault(s), want, `byte 0x${b.toString(16)}`)
  }
  t.equal(escapeDefault('GET / HTTP/1.1'), 'GET / HTTP/1.1')
  t.equal(escapeDefault('say "hi" \\ \t\r\n'), 'say \\x22hi\\x22 \\x5C \\x09\\x0D\\x0A')
})

t.test('escape=default: a string with chars above 0xff is escaped as its UTF-8 bytes', async t => {
  t.equal(escapeDefault('é€'), '\\xC3\\xA9\\xE2\\x82\\xAC')
  t.equal(escapeDefault('x\u2028y'), 'x\\xE2\\x80\\xA8y')
})

t.test('escape=default output is printable ASCII without quote or raw backslash escapes, for any input', async t => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), s => {
    const e = escapeDefault(s)
    for (let i = 0; i < e.length; i++) {
      const c = e.charCodeAt(i)
      if (c < 0x20 || c >= 0x7f || c === 0x22) return false
    }
    // every backslash starts a \xHH escape
    return /^(?:[^\\]|\\x[0-9A-F]{2})*$/.test(e)
  }), { numRuns: 500 })
})

t.test('escape=json follows ngx_escape_json', async t => {
  t.equal(escapeJson('plain'), 'plain')
  t.equal(escapeJson('a"b\\c'), 'a\\"b\\\\c')
  t.equal(escapeJson('\n\r\t\b\f'), '\\n\\r\\t\\b\\f')
  t.equal(escapeJson('\x00\x01\x1f'), '\\u0000\\u0001\\u001F')
  t.equal(escapeJson('\x7f'), '\x7f', 'DEL passes, as in nginx')
  t.equal(escapeJson('a\u2028b\u2029'), 'a\\u2028b\\u2029', 'JS line separators get JSON escapes')
  // UTF-8 bytes as received (latin1 chars) come out as the text they encode
  t.equal(escapeJson(Buffer.from('café "x"', 'utf8').toString('latin1')), 'café \\"x\\"')
  // bytes that are not UTF-8 are kept as latin1 characters
  t.equal(escapeJson('\xff\xfe'), '\xff\xfe')
})

t.test('escape=json output parses as the inside of a JSON string, for any input', async t => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), s => {
    const e = escapeJson(s)
    const back = JSON.parse('"' + e + '"') as string
    return back === asText(s)
  }), { numRuns: 500 })
})

t.test('escape=none passes values but never a line break', async t => {
  t.equal(escapeNone('a "b" \\'), 'a "b" \\')
  t.equal(escapeNone('a\r\nb'), 'a\\x0D\\x0Ab')
  t.equal(escapeNone('a\u2028b\u2029'), 'a\\xE2\\x80\\xA8b\\xE2\\x80\\xA9')
  t.equal(escapeNone(Buffer.from('\u2028', 'utf8').toString('latin1')), '\\xE2\\x80\\xA8', 'also when it arrives as UTF-8 bytes')
  fc.assert(fc.property(fc.string({ unit: 'binary' }), s => !/[\r\n\u2028\u2029]/.test(escapeNone(s))), { numRuns: 300 })
})

t.test('asText decodes valid UTF-8 byte strings only', async t => {
  t.equal(asText('ascii'), 'ascii')
  t.equal(asText(Buffer.from('ünï', 'utf8').toString('latin1')), 'ünï')
  t.equal(asText('\xe9t\xe9'), '\xe9t\xe9', 'latin1 é alone is not UTF-8')
  t.equal(asText('€ already text'), '€ already text')
})

t.test('escaperOf and missingOf', async t => {
  t.equal(escaperOf('default'), escapeDefault)
  t.equal(escaperOf('json'), escapeJson)
  t.equal(escaperOf('none'), escapeNone)
  t.equal(missingOf('default'), '-')
  t.equal(missingOf('json'), '')
  t.equal(missingOf('none'), '')
})
