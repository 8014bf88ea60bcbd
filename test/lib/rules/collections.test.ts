import t from 'tap'
import { getCollection, registerCollection, RuleEngine, RuleSetBuilder, Transaction, VarEntry, DEFAULT_LIMITS, compileRule } from '../../../lib/rules/index.js'
import type { RequestInput } from '../../../lib/rules/index.js'

function values (input: RequestInput, name: string, phase2 = false): Array<[string, string]> {
  const tx = new Transaction({ ...input, body: undefined }, DEFAULT_LIMITS, 'block')
  if (phase2) tx.setBody(input.body)
  const col = getCollection(name)
  if (col === undefined) throw new Error(name)
  return tx.collection(col).map(e => [e.key, e.value])
}

const raw = ['Host', 'shop.example:8080', 'User-Agent', 'UA/1', 'Cookie', 'a=1; b = two;;=bad; c', 'X-Dup', '1', 'x-dup', '2']
const req: RequestInput = { method: 'GET', url: '/dir/f%69le.php?q=a+b%27&q=2&flag&e=%zz&%6e=v', protocol: 'HTTP/1.0', rawHeaders: raw, remoteAddress: '192.0.2.1' }

t.test('request line collections', async t => {
  t.same(values(req, 'REQUEST_METHOD'), [['', 'GET']])
  t.same(values(req, 'REQUEST_PROTOCOL'), [['', 'HTTP/1.0']])
  t.same(values(req, 'REQUEST_LINE'), [['', 'GET /dir/f%69le.php?q=a+b%27&q=2&flag&e=%zz&%6e=v HTTP/1.0']])
  t.same(values(req, 'REQUEST_URI_RAW'), [['', '/dir/f%69le.php?q=a+b%27&q=2&flag&e=%zz&%6e=v']])
  t.same(values(req, 'REQUEST_URI'), [['', "/dir/file.php?q=a+b'&q=2&flag&e=%zz&n=v"]], 'decoded (not +), like ModSecurity v3')
  t.same(values(req, 'REQUEST_FILENAME'), [['', '/dir/file.php']])
  t.same(values(req, 'REQUEST_BASENAME'), [['', 'file.php']])
  t.same(values(req, 'QUERY_STRING'), [['', 'q=a+b%27&q=2&flag&e=%zz&%6e=v']], 'raw')
  t.same(values(req, 'REMOTE_ADDR'), [['', '192.0.2.1']])
  t.same(values({ ...req, url: '/' }, 'REQUEST_BASENAME'), [['', '']], 'an empty basename for a directory, as ModSecurity has')
  t.same(values({ ...req, url: '/dir/' }, 'REQUEST_BASENAME'), [['', '']])
})

t.test('an absolute-form target: REQUEST_URI drops scheme and host, REQUEST_URI_RAW keeps them', async t => {
  const abs = { ...req, url: 'http://evil.example/a%2fb?x=1' }
  t.same(values(abs, 'REQUEST_URI_RAW'), [['', 'http://evil.example/a%2fb?x=1']])
  t.same(values(abs, 'REQUEST_URI'), [['', '/a/b?x=1']])
  t.same(values(abs, 'ARGS'), [['x', '1']])
})

t.test('arguments: decoded, repeated keys kept, keys without values', async t => {
  t.same(values(req, 'ARGS_GET'), [['q', "a b'"], ['q', '2'], ['flag', ''], ['e', '%zz'], ['n', 'v']])
  t.same(values(req, 'ARGS_NAMES'), [['q', 'q'], ['q', 'q'], ['flag', 'flag'], ['e', 'e'], ['n', 'n']])
  t.same(values(req, 'ARGS_COMBINED_SIZE'), [['', String(1 + 4 + 1 + 1 + 4 + 1 + 3 + 1 + 1)]])
  t.same(values({ ...req, url: '/?&&a=1&' }, 'ARGS'), [['a', '1']], 'empty parts skipped')
})

t.test('headers keep order and case; cookies split as ModSecurity v3 does', async t => {
  t.same(values(req, 'REQUEST_HEADERS_NAMES').map(v => v[1]), ['Host', 'User-Agent', 'Cookie', 'X-Dup', 'x-dup'])
  t.same(values(req, 'REQUEST_COOKIES'), [['a', '1'], ['b ', ' two'], ['c', '']])
  t.same(values(req, 'REQUEST_COOKIES_NAMES').map(v => v[1]), ['a', 'b ', 'c'])
  const obj = { method: 'GET', url: '/', headers: { host: 'h', 'x-multi': ['1', '2'], skip: undefined } }
  t.same(values(obj, 'REQUEST_HEADERS'), [['host', 'h'], ['x-multi', '1'], ['x-multi', '2']], 'a headers object works too')
})

t.test('body collections exist from phase 2', async t => {
  const post: RequestInput = { method: 'POST', url: '/?g=1', rawHeaders: raw, body: { form: 'p=1&p2=%41', files: [{ field: 'up', filename: 'a.php' }], error: 'bad' } }
  t.same(values(post, 'ARGS'), [['g', '1']], 'phase 1: the query only')
  t.same(values(post, 'ARGS', true), [['g', '1'], ['p', '1'], ['p2', 'A']])
  t.same(values(post, 'ARGS_POST_NAMES', true).map(v => v[1]), ['p', 'p2'])
  t.same(values(post, 'REQUEST_BODY', true), [['', 'p=1&p2=%41']])
  t.same(values(post, 'REQUEST_BODY_LENGTH', true), [['', '10']])
  t.same(values(post, 'FILES', true), [['up', 'a.php']])
  t.same(values(post, 'FILES_NAMES', true), [['up', 'up']])
  t.same(values(post, 'REQBODY_ERROR', true), [['', '1']])
  t.same(values(post, 'REQBODY_ERROR_MSG', true), [['', 'bad']])
  t.same(values(post, 'REQBODY_PROCESSOR', true), [['', 'URLENCODED']])
  const json: RequestInput = { method: 'POST', url: '/', body: { json: [{ a: null, b: true, c: 1.5 }] } }
  t.same(values(json, 'ARGS_POST', true), [['0.a', ''], ['0.b', 'true'], ['0.c', '1.5']])
  t.same(values(json, 'REQUEST_BODY', true), [['', '[{"a":null,"b":true,"c":1.5}]']], 're-serialized when the raw body is not given')
})

t.test('TX and MATCHED_* are read from the transaction state', async t => {
  const tx = new Transaction(req, DEFAULT_LIMITS, 'block')
  tx.setTx('Score', '5')
  t.same(tx.collection(getCollection('TX')!).map(e => [e.key, e.value]), [['score', '5']], 'TX keys are lower-cased')
  t.same(tx.collection(getCollection('MATCHED_VAR')!), [])
})

t.test('registerCollection adds a variable rules can target', async t => {
  registerCollection({ name: 'TEST_SERVER_NAME', caseless: true, dynamic: false, body: false, single: true, build: tx => [new VarEntry('', '', tx.req.header('host')?.split(':')[0] ?? '')] })
  const b = new RuleSetBuilder().add(compileRule({ id: 1, phase: 1, targets: ['TEST_SERVER_NAME'], operator: { name: 'streq', argument: 'shop.example' }, disruptive: 'deny' }))
  const r = new RuleEngine(b.build()).check(req)
  t.same([r.action, r.attacks[0].location], ['deny', 'TEST_SERVER_NAME'])
})

t.test('node bodies: a urlencoded text, a Buffer, a multipart Buffer, a string, an object', async t => {
  const { bodyInput } = await import('../../../lib/rules/node-input.js')
  t.same(bodyInput({ a: '1' }, 'a=1'), { form: 'a=1' }, 'the raw form text wins')
  t.same(bodyInput(Buffer.from('caf\u00e9'), undefined), { raw: 'caf\xc3\xa9' }, 'a Buffer is bytes')
  t.same(bodyInput('caf\u00e9', undefined), { raw: 'caf\xc3\xa9' }, 'a string is encoded to bytes')
  t.same(bodyInput({ a: [1] }, undefined), { json: { a: [1] } })
  t.equal(bodyInput(undefined, undefined), undefined)
  const mp = Buffer.from('--XX\r\nContent-Disposition: form-data; name="note"\r\n\r\n<script>x</script>\r\n--XX\r\nContent-Disposition: form-data; name="up"; filename="shell.php"\r\nContent-Type: text/plain\r\n\r\n<?php ?>\r\n--XX--\r\n')
  const body = bodyInput(mp, undefined, 'multipart/form-data; boundary=XX')
  const input: RequestInput = { method: 'POST', url: '/', rawHeaders: ['Content-Type', 'multipart/form-data; boundary=XX'], body }
  t.same(values(input, 'ARGS_POST', true), [['note', '<script>x</script>']])
  t.same(values(input, 'FILES', true), [['up', 'shell.php']])
  t.same(values(input, 'REQBODY_PROCESSOR', true), [['', 'MULTIPART']])
  t.same(values(input, 'REQBODY_ERROR', true), [['', '0']])
  const broken = bodyInput(Buffer.from('no boundary here'), undefined, 'multipart/form-data; boundary=XX')
  t.same(values({ ...input, body: broken }, 'REQBODY_ERROR', true), [['', '1']], 'a malformed multipart body is REQBODY_ERROR')
})

t.test('body processor, XML bodies and file sizes as ModSecurity has them', async t => {
  const post = (type: string, body: RequestInput['body']): RequestInput => ({ method: 'POST', url: '/', rawHeaders: ['Host', 'x', 'Content-Type', type], body })
  t.same(values(post('application/json', undefined), 'REQBODY_PROCESSOR', true), [['', 'JSON']], 'JSON from the Content-Type, even without a body')
  t.same(values(post('text/xml; charset=utf-8', { raw: '<a>x</a>' }), 'REQBODY_PROCESSOR', true), [['', 'XML']])
  t.same(values(post('application/x-www-form-urlencoded', { form: 'a=1' }), 'REQBODY_PROCESSOR', true), [['', 'URLENCODED']])
  t.same(values(post('text/plain', { raw: 'x' }), 'REQBODY_PROCESSOR', true), [], 'no processor for other types')
  t.same(values(post('application/xml', { raw: '<a>x</a>' }), 'REQUEST_BODY', true), [], 'the XML processor leaves REQUEST_BODY empty')
  t.same(values(post('text/plain', { raw: '<a>x</a>' }), 'REQUEST_BODY', true), [['', '<a>x</a>']])
  const files = { raw: '', fields: [], files: [{ field: 'a', filename: 'a.txt', size: 10 }, { field: 'b', filename: 'b.txt', size: 5 }] }
  t.same(values(post('multipart/form-data; boundary=x', files), 'FILES_COMBINED_SIZE', true), [['', '15']])
  t.same(values(post('multipart/form-data; boundary=x', files), 'FILES_SIZES', true), [['a', '10'], ['b', '5']])
})

t.test('every registered collection has the same fields in the same order (one hidden class: the reads of index and dynamic on every part stay monomorphic)', async t => {
  const { collectionNames } = await import('../../../lib/rules/collections.js')
  registerCollection({ name: 'SHAPE_PROBE', caseless: true, dynamic: false, body: false, single: true, build: () => [] })
  const shapes = new Set(collectionNames().map(n => Object.keys(getCollection(n) as object).join(',')))
  t.same([...shapes], ['name,caseless,dynamic,body,single,namesOf,build,lookup,index'], 'built-in, SecLang, response and added collections alike')
  t.ok(collectionNames().length > 40)
})

t.test('headers from rawHeaders, at random: every pair in order, as received, lower-cased keys, long values cut and recorded', async t => {
  let s = 41
  const rand = (): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    return s / 0x80000000
  }
  const names = ['Host', 'host', 'HOST', 'User-Agent', 'Cookie', 'X-Dup', 'x-dup', 'Accept', 'A']
  const limits = { ...DEFAULT_LIMITS, valueBytes: 12 }
  const differ: string[] = []
  for (let n = 0; n < 500; n++) {
    const raw: string[] = []
    const pairs = Math.floor(rand() * 8)
    for (let i = 0; i < pairs; i++) raw.push(names[Math.floor(rand() * names.length)], 'v'.repeat(Math.floor(rand() * 20)) + String(i))
    // A list of odd length (no value for the last name): the name alone is no header.
    if (rand() < 0.2) raw.push('Dangling')
    const tx = new Transaction({ method: 'GET', url: '/', rawHeaders: raw }, limits, 'block')
    const got = tx.collection(getCollection('REQUEST_HEADERS') as NonNullable<ReturnType<typeof getCollection>>)
    const want: Array<[string, string, string]> = []
    const cuts: string[] = []
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const v = raw[i + 1]
      if (v.length > limits.valueBytes) cuts.push(`REQUEST_HEADERS:${raw[i]}`)
      want.push([raw[i], raw[i].toLowerCase(), v.slice(0, limits.valueBytes)])
    }
    const seen: Array<[string, string, string]> = []
    // By index, not by iteration: a hole would read as undefined here.
    for (let i = 0; i < got.length; i++) seen.push(got[i] instanceof VarEntry ? [got[i].key, got[i].lkey, got[i].value] : ['hole', '', ''])
    const names2 = tx.collection(getCollection('REQUEST_HEADERS_NAMES') as NonNullable<ReturnType<typeof getCollection>>).map(e => e.value)
    const firstHost = want.find(w => w[1] === 'host')?.[2]
    if (JSON.stringify(seen) !== JSON.stringify(want) || JSON.stringify(names2) !== JSON.stringify(want.map(w => w[0])) ||
      JSON.stringify(tx.req.cuts.map(c => c.location)) !== JSON.stringify(cuts) || tx.req.header('host') !== firstHost) {
      differ.push(`${JSON.stringify(raw)}: ${JSON.stringify(seen)} vs ${JSON.stringify(want)}`)
    }
  }
  t.same(differ.slice(0, 3), [], 'the same entries, names, cuts and first values as a plain walk of the pairs')
})
