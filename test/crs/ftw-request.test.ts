import t from 'tap'
import { buildFtwRequest, expandTemplate, queryEscape } from './ftw-request.js'

const text = (b: Buffer): string => b.toString('latin1')

t.test('defaults: GET / HTTP/1.1, sorted headers, Connection: close', async t => {
  t.equal(text(buildFtwRequest({ headers: { 'User-Agent': 'x', Host: 'localhost', accept: '*/*' } })),
    'GET / HTTP/1.1\r\nConnection: close\r\nHost: localhost\r\nUser-Agent: x\r\naccept: */*\r\n\r\n')
})

t.test('a raw urlencoded body is escaped pair by pair; an escaped one is kept', async t => {
  const r = text(buildFtwRequest({ method: 'POST', uri: '/post', headers: { Host: 'h' }, data: "var=-1839' or '1'='1&a b" }))
  t.equal(r, 'POST /post HTTP/1.1\r\nConnection: close\r\nContent-Length: 34\r\nContent-Type: application/x-www-form-urlencoded\r\nHost: h\r\n\r\n' +
    'var=-1839%27+or+%271%27%3D%271&a+b')
  const kept = text(buildFtwRequest({ method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, data: 'a=%27x' }))
  t.ok(kept.endsWith('\r\n\r\na=%27x'))
  const plus = text(buildFtwRequest({ method: 'POST', data: 'a=1+1' }))
  t.ok(plus.endsWith('\r\n\r\na=1+1'))
})

t.test('go-ftw header names are case-sensitive: a lower-case content-type gets a second one', async t => {
  const r = text(buildFtwRequest({ method: 'POST', headers: { 'content-type': 'application/json' }, data: '{"a":"b c"}' }))
  t.match(r, /Content-Type: application\/x-www-form-urlencoded\r\n/)
  t.match(r, /content-type: application\/json\r\n/)
  t.ok(r.endsWith('%7B%22a%22%3A%22b+c%22%7D'), 'then the body is form-escaped, as go-ftw does')
})

t.test('other content types are sent verbatim, multipart LF becomes CRLF', async t => {
  const j = text(buildFtwRequest({ method: 'POST', headers: { 'Content-Type': 'application/json' }, data: '{"a":"b c"}' }))
  t.ok(j.endsWith('Content-Type: application/json\r\n\r\n{"a":"b c"}'))
  t.match(j, /Content-Length: 11\r\n/)
  const m = text(buildFtwRequest({ method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=b' }, data: '--b\nX: y\n\nv\n--b--\n' }))
  t.ok(m.endsWith('\r\n\r\n--b\r\nX: y\r\n\r\nv\r\n--b--\r\n'))
  t.match(m, /Content-Length: 23\r\n/)
})

t.test('autocomplete_headers: false sends exactly what the test says', async t => {
  t.equal(text(buildFtwRequest({ method: 'POST', uri: '/', version: 'HTTP/1.0', autocomplete_headers: false, headers: { Host: 'h' }, data: 'a b' })),
    'POST / HTTP/1.0\r\nHost: h\r\n\r\na b')
})

t.test('Content-Length on body-less POST, given headers are not replaced', async t => {
  t.match(text(buildFtwRequest({ method: 'POST' })), /Content-Length: 0\r\n/)
  t.notMatch(text(buildFtwRequest({ method: 'GET' })), /Content-Length/)
  t.match(text(buildFtwRequest({ method: 'POST', headers: { 'Content-Length': '5', Connection: 'keep-alive' } })), /Connection: keep-alive\r\nContent-Length: 5\r\n/)
})

t.test('encoded_request and encoded_data are base64; UTF-8 data goes out as UTF-8 bytes', async t => {
  t.equal(text(buildFtwRequest({ encoded_request: Buffer.from('GET /x HTTP/1.0\r\n\r\n').toString('base64') })), 'GET /x HTTP/1.0\r\n\r\n')
  const b = buildFtwRequest({ method: 'POST', autocomplete_headers: false, encoded_data: Buffer.from([0xac, 0xed]).toString('base64') })
  t.same([...b.subarray(b.length - 2)], [0xac, 0xed])
  const u = buildFtwRequest({ method: 'POST', headers: { 'Content-Type': 'text/plain' }, data: 'é' })
  t.same([...u.subarray(u.length - 2)], [0xc3, 0xa9])
})

t.test('templates: only repeat is known', async t => {
  t.equal(expandTemplate('a={{ "1" | repeat 3 }}&b'), 'a=111&b')
  t.throws(() => expandTemplate('{{ now }}'), /unsupported Go template/)
  t.equal(queryEscape('a-_.~ /'), 'a-_.~+%2F')
})
