import t from 'tap'
import { readRawHead, looksLikeRequestLine } from '../../../lib/lifecycle/raw-head.js'

t.test('a raw head reads like httpd reads it', async t => {
  const h = readRawHead('GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\nX:   a b  \r\nY:\r\nFold: a\r\n\tb\r\n  c\r\n\r\nbody')
  t.same(h, {
    requestLine: 'GET /\xc3\xa9 HTTP/1.1',
    rawHeaders: ['Host', 'a', 'X', 'a b', 'Y', '', 'Fold', 'a b c'],
    complete: true
  })
})

t.test('bare LF line ends and a cut-off head', async t => {
  t.same(readRawHead('GET / HTTP/1.1\nHost: a\nX: 1\n\n'), { requestLine: 'GET / HTTP/1.1', rawHeaders: ['Host', 'a', 'X', '1'], complete: true })
  t.same(readRawHead('GET / HTTP/1.1\r\nHost: a\r\nX-Cut: 12'), { requestLine: 'GET / HTTP/1.1', rawHeaders: ['Host', 'a'], complete: false })
  t.same(readRawHead('GET / HTTP/9.1'), { requestLine: 'GET / HTTP/9.1', rawHeaders: [], complete: false })
})

t.test('a line without colon is a name with an empty value', async t => {
  t.same(readRawHead('GET / HTTP/1.1\r\nX Y\r\n\r\n')?.rawHeaders, ['X Y', ''])
})

t.test('a packet that starts mid-request is not a head', async t => {
  t.equal(readRawHead('X-Foo: bar\r\n\r\n'), undefined)
  t.equal(readRawHead('some body bytes'), undefined)
  t.equal(readRawHead(''), undefined)
  t.ok(looksLikeRequestLine('G@T / HTTP/1.1'))
  t.notOk(looksLikeRequestLine('GET /'))
  t.notOk(looksLikeRequestLine('HTTP/1.1 200 OK'))
})

t.test('a fold drops the blanks on both sides and joins with one space', async t => {
  t.same(readRawHead('GET / HTTP/1.1\r\nX: a \t\r\n \t b \r\n\r\n')?.rawHeaders, ['X', 'a b'])
  t.same(readRawHead('GET / HTTP/1.1\r\n continuation before any header\r\nX: 1\r\n\r\n')?.rawHeaders, ['X', '1'])
})
