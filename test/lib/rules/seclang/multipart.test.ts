import t from 'tap'
import '../../../../lib/rules/seclang/index.js'
import { boundaryOf, parseMultipart } from '../../../../lib/rules/seclang/multipart.js'
import { compileRule, RuleEngine, RuleSetBuilder } from '../../../../lib/rules/index.js'

const body = [
  '--XyZ',
  'Content-Disposition: form-data; name="title"',
  '',
  'hello world',
  '--XyZ',
  'Content-Disposition: form-data; name="upload"; filename="..\\\\evil \\"x\\".php"',
  'Content-Type: application/x-php',
  'Content-Transfer-Encoding: base64',
  '',
  '<?php system($_GET["c"]); ?>',
  '--XyZ',
  'Content-Disposition: form-data; name=_charset_',
  '',
  'utf-7',
  '--XyZ--',
  ''
].join('\r\n')

t.test('boundary from the Content-Type, quoted or not', async t => {
  t.equal(boundaryOf('multipart/form-data; boundary=XyZ'), 'XyZ')
  t.equal(boundaryOf('Multipart/Form-Data; charset=utf-8; boundary="a b"'), 'a b')
  t.equal(boundaryOf('multipart/form-data'), undefined)
  t.equal(boundaryOf('application/json; boundary=x'), undefined)
})

t.test('fields, files and part headers', async t => {
  const m = parseMultipart(body, 'XyZ')
  t.equal(m.error, undefined)
  t.same(m.fields, [{ key: 'title', value: 'hello world' }, { key: '_charset_', value: 'utf-7' }])
  t.same(m.files, [{ field: 'upload', filename: '..\\evil "x".php', size: '<?php system($_GET["c"]); ?>'.length }], 'with its size (FILES_SIZES, FILES_COMBINED_SIZE)')
  t.same(m.partHeaders.map(h => `${h.part}|${h.line}`), [
    'title|Content-Disposition: form-data; name="title"',
    'upload|Content-Disposition: form-data; name="upload"; filename="..\\\\evil \\"x\\".php"',
    'upload|Content-Type: application/x-php',
    'upload|Content-Transfer-Encoding: base64',
    '_charset_|Content-Disposition: form-data; name=_charset_'
  ])
})

t.test('LF-only bodies and malformed ones', async t => {
  const lf = parseMultipart('--b\nContent-Disposition: form-data; name="a"\n\n1\n--b--\n', 'b')
  t.same(lf.fields, [{ key: 'a', value: '1' }])
  t.match(parseMultipart('no boundary here', 'b').error, /boundary not found/)
  const cut = parseMultipart('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue', 'b')
  t.match(cut.error, /final boundary missing/)
  t.same(cut.fields, [{ key: 'a', value: 'value' }])
  t.match(parseMultipart('--b\r\nContent-Disposition: form-data', 'b').error, /part headers not terminated/)
})

t.test('MULTIPART_PART_HEADERS reaches rules, keyed by part name', async t => {
  const b = new RuleSetBuilder()
  b.add(compileRule({ id: 1, phase: 2, targets: ['MULTIPART_PART_HEADERS'], transforms: ['lowercase'], operator: { name: 'rx', argument: 'content-transfer-encoding:(.*)' } }))
  b.add(compileRule({ id: 2, phase: 2, targets: ['&MULTIPART_PART_HEADERS:_charset_'], operator: { name: 'eq', argument: '1' } }))
  const engine = new RuleEngine(b.build(), { mode: 'detect' })
  const r = engine.check({ method: 'POST', url: '/', rawHeaders: ['Content-Type', 'multipart/form-data; boundary=XyZ'], body: { raw: body } })
  t.same(r.attacks.map(a => [a.ruleId, a.location]), [['1', 'MULTIPART_PART_HEADERS:upload'], ['2', '&MULTIPART_PART_HEADERS:_charset_']])
  const plain = engine.check({ method: 'POST', url: '/', rawHeaders: ['Content-Type', 'text/plain'], body: { raw: body } })
  t.same(plain.attacks, [])
})

t.test('in a quoted file name only \\" and \\\\ are escapes', async t => {
  const m = parseMultipart('--b\r\nContent-Disposition: form-data; name="f"; filename="..\\1.7z"\r\n\r\nx\r\n--b--\r\n', 'b')
  t.same(m.files, [{ field: 'f', filename: '..\\1.7z', size: 1 }])
})
