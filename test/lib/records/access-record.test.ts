import t from 'tap'
import fc from 'fast-check'
import { accessJson, accessProducer, buildAccessRecord, responseHeaders } from '../../../lib/records/access-record.js'
import type { AccessRecord } from '../../../lib/records/access-record.js'
import { argsPart, headerBlock, requestHeaders, roundMs } from '../../../lib/records/record-parts.js'
import { pathOf } from '../../../lib/access/request-parts.js'
import { asText } from '../../../lib/text/escape.js'
import type { RecordSource } from '../../../lib/log/types.js'
import { refusedSource, parseRefusedRequest } from '../../../lib/access/source.js'
import { jsonLine } from '../../../lib/log/writers/json.js'
import { kSource } from '../../../lib/log/types.js'
import { ContextFactory } from '../../../lib/lifecycle/context.js'
import { accessRecordErrors } from '../../schema/access.js'
import { fakeSource } from '../access/fixtures.js'

t.test('the record has DESIGN.md\'s shape and validates against the schema', async t => {
  const src = fakeSource({
    url: '/p?q=1',
    headers: { host: 'shop.example', 'user-agent': 'curl/8', authorization: 'Bearer x', cookie: 'a=1' },
    responseBlock: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Up: \xc3\xa9\r\n\r\n',
    ctx: { wafMs: 0.2104, upstream: { addr: '127.0.0.1:3000', status: 200, startedAt: 1763764800125, durationMs: 11.8049 } }
  })
  const rec = buildAccessRecord(src, 3, 'edge-1')
  t.same(JSON.parse(JSON.stringify(rec)), {
    type: 'access',
    id: src.ctx.id,
    started_at: 1763764800123,
    host: 'shop.example',
    client_ip: '203.0.113.7',
    client_port: 51234,
    request: { method: 'GET', uri: '/p?q=1', path: '/p', args: 'q=1', http_version: '1.1', headers: { host: 'shop.example', 'user-agent': 'curl/8', authorization: 'REDACTED', cookie: 'REDACTED' }, size: 412 },
    response: { status: 200, headers: { 'content-type': 'text/plain', 'set-cookie': 'REDACTED', 'x-up': 'é' }, size: 1234 },
    upstream: { addr: '127.0.0.1:3000', status: 200, response_time: 11.805 },
    latencies: { request: 13.2, proxy: 11.805, waf: 0.21 },
    waf: { mode: 'block', action: 'pass', attacks: 0, bot: false, cc: false },
    worker: 3,
    node: 'edge-1'
  })
  t.equal(rec[kSource], src, 'the record carries its source under a symbol')
  t.same(accessRecordErrors(JSON.parse(jsonLine(rec))), [])
  t.equal(accessJson(src, 3, 'edge-1'), jsonLine(rec))
})

t.test('no upstream: null, proxy latency 0; no query: args empty', async t => {
  const rec = buildAccessRecord(fakeSource({ url: '/x' }), 0, 'edge-1')
  t.equal(rec.upstream, null)
  t.equal(rec.latencies.proxy, 0)
  t.equal(rec.request.args, '')
  t.equal(rec.request.path, '/x')
  t.same(accessRecordErrors(JSON.parse(jsonLine(rec))), [])
})

t.test('response headers: repeated names become arrays, redaction per name', async t => {
  const h = responseHeaders('HTTP/1.1 200 OK\r\nA: 1\r\na: 2\r\nA: 3\r\nB:x\r\nC:\t y \r\n\r\n', new Set())
  t.same({ ...h }, { a: ['1', '2', '3'], b: 'x', c: 'y ' })
  t.same({ ...responseHeaders(null, new Set()) }, {})
  t.same({ ...responseHeaders('HTTP/1.1 200 OK\r\nAuthorization: x\r\n\r\n', new Set(['authorization'])) }, { authorization: 'REDACTED' })
})

/** Header values as the wire gives them: any byte string. */
const byteString = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map(c => String.fromCharCode(c)), maxLength: 40 })
const tokenName = fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,12}$/)

const arbitrarySource = fc.record({
  url: fc.oneof(fc.constant('/'), fc.string({ maxLength: 30 }).map(s => '/' + s), byteString.map(s => '/' + s)),
  headers: fc.dictionary(tokenName, fc.oneof(byteString, fc.array(byteString, { minLength: 2, maxLength: 3 })), { maxKeys: 6 }),
  response: fc.array(fc.tuple(tokenName, byteString.map(s => s.replace(/[\r\n]/g, ''))), { maxLength: 5 }),
  status: fc.integer({ min: 100, max: 599 }),
  upstream: fc.option(fc.record({ addr: fc.string(), status: fc.integer({ min: 100, max: 599 }), startedAt: fc.constant(0), durationMs: fc.double({ min: 0, max: 1e6, noNaN: true }) }), { nil: undefined }),
  redact: fc.subarray(['authorization', 'cookie', 'x-a', 'set-cookie']),
  requestMs: fc.oneof(fc.double({ min: 0, max: 1e7, noNaN: true }), fc.constant(Number.NaN)),
  domain: byteString,
  error: fc.option(fc.constantFrom('HPE_INVALID_METHOD', 'HPE_HEADER_OVERFLOW'), { nil: undefined }),
  bot: fc.boolean(),
  cc: fc.boolean(),
  attacks: fc.integer({ min: 0, max: 3 }),
  wafMs: fc.double({ min: 0, max: 50, noNaN: true }),
  mode: fc.constantFrom('block' as const, 'detect' as const, 'off' as const),
  action: fc.constantFrom('pass' as const, 'log' as const, 'deny' as const),
  method: fc.oneof(fc.constantFrom('GET', 'POST', 'M-SEARCH'), byteString),
  httpVersion: fc.constantFrom('1.1', '1.0', '2.0'),
  // Printable ASCII, quotes and backslashes included: the serializer escapes what it must.
  node: fc.constantFrom('edge-1', 'edge-1.dc.example', 'a"b\\c')
})

t.test('the direct JSON serializer writes exactly JSON.stringify of the built record', async t => {
  fc.assert(fc.property(arbitrarySource, a => {
    const block = 'HTTP/1.1 ' + String(a.status) + ' X\r\n' + a.response.map(([k, v]) => k + ': ' + v + '\r\n').join('') + '\r\n'
    const attack = { ruleId: '1', msg: 'm', detectType: 'sqli', severity: 'critical', tags: [], location: 'ARGS:q', payload: 'x', action: 'log' as const }
    const src = fakeSource({
      method: a.method,
      url: a.url,
      httpVersion: a.httpVersion,
      headers: a.headers,
      status: a.status,
      responseBlock: block,
      redact: a.redact,
      requestMs: a.requestMs,
      ctx: { upstream: a.upstream, domain: a.domain, bot: a.bot, cc: a.cc, wafMs: a.wafMs, action: a.action, policy: { mode: a.mode, rules: true }, attacks: Array.from({ length: a.attacks }, () => attack) }
    })
    if (a.error !== undefined) src.error = a.error
    const built = jsonLine(buildAccessRecord(src, 2, a.node))
    const direct = accessJson(src, 2, a.node)
    if (built !== direct) throw new Error(`differ:\n${built}\n${direct}`)
    JSON.parse(direct)
    return direct.indexOf('\n') === -1 && direct.indexOf('\u2028') === -1
  }), { numRuns: 400 })
  t.pass('400 random sources serialized alike')
})

t.test('the serializer agrees with the object for repeated and index-like response header names', async t => {
  for (const block of [
    'HTTP/1.1 200 OK\r\nb: 1\r\nA: 2\r\na: 3\r\n\r\n',
    'HTTP/1.1 200 OK\r\nx: 1\r\n123: n\r\n7: m\r\n\r\n',
    'HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nset-cookie: b\r\n\r\n',
    'HTTP/1.1 200 OK\r\nnocolon\r\nx:\r\n\r\n'
  ]) {
    const src = fakeSource({ responseBlock: block, redact: [] })
    t.equal(accessJson(src, 0, 'edge-1'), jsonLine(buildAccessRecord(src, 0, 'edge-1')), JSON.stringify(block))
  }
  const redacted = fakeSource({ responseBlock: 'HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nset-cookie: b\r\n\r\n' })
  t.equal(accessJson(redacted, 0, 'edge-1'), jsonLine(buildAccessRecord(redacted, 0, 'edge-1')))
  t.match(accessJson(redacted, 0, 'edge-1'), /"set-cookie":"REDACTED"/)
})

t.test('the producer builds and serializes with its worker id and node', async t => {
  const p = accessProducer(5, 'edge-2.dc.example')
  const src = fakeSource()
  t.equal(p.build(src).worker, 5)
  t.equal(p.build(src).node, 'edge-2.dc.example')
  t.match(p.json?.(src), /,"worker":5,"node":"edge-2\.dc\.example"\}$/)
  t.equal(p.json?.(src), jsonLine(p.build(src)))
})

t.test('a request the parser refused: parsed as far as it goes, with the error code', async t => {
  const raw = Buffer.from('GET /x?a=1 HTTP/1.1\r\nHost: Shop.Example\r\nX-A: 1\r\nx-a: 2\r\nCookie: a=1\r\nCookie: b=2\r\nBad Header\r\n: novalue\r\nX-Bad\x01: y\r\n\r\nbody', 'latin1')
  const req = parseRefusedRequest(raw, '10.0.0.1', 4000)
  t.equal(req.method, 'GET')
  t.equal(req.url, '/x?a=1')
  t.equal(req.httpVersion, '1.1')
  t.same({ ...req.headers }, { host: 'Shop.Example', 'x-a': '1, 2', cookie: 'a=1; b=2' })
  const garbage = parseRefusedRequest(Buffer.from('\x16\x03\x01 binary junk'), undefined, undefined)
  t.equal(garbage.method, undefined)
  t.equal(garbage.url, undefined)
  t.equal(parseRefusedRequest(undefined, undefined, undefined).method, undefined)

  const ctx = new ContextFactory().createFor('shop.example', undefined)
  ctx.bytesIn = raw.length
  ctx.bytesOut = 150
  const src = refusedSource({ ctx, status: 400, code: 'HPE_INVALID_HEADER_TOKEN', rawPacket: raw, requestLine: 'GET /x?a=1 HTTP/1.1', head: undefined, remoteAddress: '::ffff:10.0.0.1', remotePort: 4000, responseHeaders: [] }, new Set(['cookie']))
  const rec = buildAccessRecord(src, 0, 'edge-1')
  t.equal(rec.response.status, 400)
  t.equal(rec.error, 'HPE_INVALID_HEADER_TOKEN')
  t.equal(rec.client_ip, '10.0.0.1')
  t.equal(rec.request.headers.cookie, 'REDACTED')
  t.same(rec.response.headers, {})
  t.same(accessRecordErrors(JSON.parse(jsonLine(rec))), [])
  t.equal(accessJson(src, 0, 'edge-1'), jsonLine(rec))
})

/**
 * DESIGN.md's access record written out by hand, as a plain object literal, independent of the
 * field table both forms are compiled from: the table must give exactly this object and its JSON.
 */
function referenceRecord (src: RecordSource, worker: number, node: string): AccessRecord {
  const { req, ctx } = src
  const url = req.url ?? ''
  const up = ctx.upstream
  const rec: AccessRecord = {
    type: 'access',
    id: ctx.id,
    started_at: ctx.startedAt,
    host: asText(ctx.domain),
    client_ip: src.clientIp,
    client_port: src.clientPort,
    request: {
      method: req.method ?? '',
      uri: asText(url),
      path: asText(pathOf(url)),
      args: asText(argsPart(url)),
      http_version: req.httpVersion,
      headers: requestHeaders(req.headers, src.redact),
      size: ctx.bytesIn
    },
    response: { status: src.status, headers: responseHeaders(headerBlock(src), src.redact), size: ctx.bytesOut },
    upstream: up === undefined ? null : { addr: up.addr, status: up.status, response_time: roundMs(up.durationMs) },
    latencies: { request: roundMs(src.requestMs), proxy: up === undefined ? 0 : roundMs(up.durationMs), waf: roundMs(ctx.wafMs) },
    waf: { mode: ctx.policy.mode, action: ctx.action, attacks: ctx.attacks.length, bot: ctx.bot, cc: ctx.cc },
    worker,
    node
  }
  if (src.error !== undefined) rec.error = src.error
  return rec
}

/** Any UTF-16 string: byte strings, valid and broken UTF-8 as latin1, lone surrogates, U+2028. */
const anyText = fc.oneof(
  byteString,
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map(c => String.fromCharCode(c)), maxLength: 20 }),
  fc.constantFrom('\u2028', '\u2029', '\xe2\x80\xa8', '\xc3', '\xc3\xa9', '\ud800', '"\\', '\r\n', '')
)
/** Header names as a hostile client or a broken upstream may send them, token or not. */
const anyName = fc.oneof(tokenName, anyText.filter(s => s.length > 0), fc.constantFrom('__proto__', 'constructor', '0', '12', 'Set-Cookie', 'DATE'))
/** Sometimes huge: 64 KB values take the same path as short ones. */
const sometimesHuge = fc.oneof({ weight: 9, arbitrary: anyText }, { weight: 1, arbitrary: fc.tuple(anyText, fc.integer({ min: 1000, max: 4000 })).map(([s, n]) => (s + 'x').repeat(n).slice(0, 65536)) })

const hostileSource = fc.record({
  method: fc.option(anyText, { nil: undefined }),
  url: fc.option(fc.oneof(sometimesHuge.map(s => '/' + s), fc.tuple(anyText, anyText).map(([p, q]) => '/' + p + '?' + q)), { nil: undefined }),
  httpVersion: fc.oneof(fc.constantFrom('1.1', '1.0', '2.0', ''), anyText),
  headers: fc.dictionary(anyName, fc.oneof(sometimesHuge, fc.array(anyText, { maxLength: 3 }), fc.constant(undefined)), { maxKeys: 8 }),
  response: fc.option(fc.array(fc.tuple(anyName.map(n => n.replace(/[\r\n:]/g, '')).filter(n => n.length > 0), sometimesHuge.map(v => v.replace(/[\r\n]/g, ''))), { maxLength: 6 }), { nil: undefined }),
  hasResponse: fc.boolean(),
  numbers: fc.array(fc.oneof(fc.double(), fc.integer({ min: -3e12, max: 3e12 }), fc.constantFrom(-0, 1763764800123, 0.0005, 0.0015, 2147483.6475)), { minLength: 6, maxLength: 6 }),
  texts: fc.array(anyText, { minLength: 5, maxLength: 5 }),
  upstream: fc.option(fc.record({ addr: anyText, status: fc.integer(), startedAt: fc.constant(0), durationMs: fc.double() }), { nil: undefined }),
  bot: fc.boolean(),
  cc: fc.boolean(),
  attacks: fc.integer({ min: 0, max: 3 }),
  error: fc.option(anyText, { nil: undefined }),
  redact: fc.subarray(['authorization', 'cookie', 'set-cookie', 'date', '0', 'x-a']),
  worker: fc.integer({ min: 0, max: 1000 }),
  node: anyText
})

type HostileSource = typeof hostileSource extends fc.Arbitrary<infer T> ? T : never

/** The record source a hostile draw stands for. */
function hostileToSource (a: HostileSource): RecordSource {
  const block = a.response === undefined ? null : 'HTTP/1.1 200 OK\r\n' + a.response.map(([k, v]) => k + ': ' + v + '\r\n').join('') + '\r\n'
  const src = fakeSource({
    headers: a.headers,
    httpVersion: a.httpVersion,
    responseBlock: block,
    redact: a.redact,
    requestMs: a.numbers[0],
    status: a.numbers[1],
    ctx: {
      id: a.texts[0], startedAt: a.numbers[2], domain: a.texts[1], bytesIn: a.numbers[3], bytesOut: a.numbers[4], wafMs: a.numbers[5],
      upstream: a.upstream, bot: a.bot, cc: a.cc, action: a.texts[2] as 'pass', policy: { mode: a.texts[3] as 'block', rules: true },
      attacks: Array.from({ length: a.attacks }, () => ({ ruleId: '1', msg: 'm', detectType: 'sqli', severity: 'critical', tags: [], location: 'ARGS:q', payload: 'x', action: 'log' as const }))
    }
  })
  src.req.method = a.method
  src.req.url = a.url
  src.clientIp = a.texts[4]
  if (!a.hasResponse) src.res = undefined
  if (a.error !== undefined) src.error = a.error
  return src
}

t.test('the compiled object and its compiled JSON line are DESIGN.md\'s record, on hostile requests', async t => {
  let runs = 0
  const r = fc.check(fc.property(hostileSource, a => {
    const src = hostileToSource(a)
    const expected = jsonLine(referenceRecord(src, a.worker, a.node))
    const producer = accessProducer(a.worker, a.node)
    const object = producer.build(src)
    const line = producer.json?.(src)
    if (jsonLine(object) !== expected) throw new Error(`object differs:\n${expected}\n${jsonLine(object)}`)
    if (line !== expected) throw new Error(`line differs:\n${expected}\n${String(line)}`)
    if (accessJson(src, a.worker, a.node) !== expected) throw new Error('accessJson differs')
    // The same source again: the cached pieces (response headers, repeated values) give the same line.
    if (producer.json?.(src) !== expected) throw new Error('second line differs')
    JSON.parse(expected)
    runs++
    return expected.indexOf('\n') === -1 && expected.indexOf('\u2028') === -1 && expected.indexOf('\u2029') === -1
  }), { numRuns: 1500 })
  t.notOk(r.failed, r.failed ? `${String(r.errorInstance)}\non ${JSON.stringify(r.counterexample)}` : 'no counterexample')
  t.equal(runs, 1500, '1500 hostile sources: object, line and hand-written record agree')
})

t.test('fields are in DESIGN.md\'s order; error is left out unless set; the object has one shape', async t => {
  const src = fakeSource()
  const rec = buildAccessRecord(src, 1, 'n')
  t.same(Object.keys(rec), ['type', 'id', 'started_at', 'host', 'client_ip', 'client_port', 'request', 'response', 'upstream', 'latencies', 'waf', 'worker', 'node'])
  t.same(Object.keys(rec.request), ['method', 'uri', 'path', 'args', 'http_version', 'headers', 'size'])
  t.notOk('error' in rec)
  src.error = 'HPE_X'
  t.same(Object.keys(buildAccessRecord(src, 1, 'n')).slice(-2), ['node', 'error'])
  t.match(accessJson(src, 1, 'n'), /,"node":"n","error":"HPE_X"\}$/)
})

t.test('the response header JSON kept from the previous block is never another block\'s or another redaction\'s', async t => {
  const a = fakeSource({ responseBlock: 'HTTP/1.1 200 OK\r\nSet-Cookie: s=1\r\nX: 1\r\n\r\n', redact: ['set-cookie'] })
  const b = fakeSource({ responseBlock: 'HTTP/1.1 200 OK\r\nSet-Cookie: s=1\r\nX: 1\r\n\r\n', redact: [] })
  const c = fakeSource({ responseBlock: 'HTTP/1.1 200 OK\r\nSet-Cookie: s=1\r\nX: 2\r\n\r\n', redact: ['set-cookie'] })
  const p = accessProducer(0, 'n')
  for (const src of [a, b, a, c, c, b]) t.equal(p.json?.(src), jsonLine(referenceRecord(src, 0, 'n')))
  t.match(p.json?.(a), /"set-cookie":"REDACTED","x":"1"/)
  t.match(p.json?.(b), /"set-cookie":"s=1","x":"1"/)
  t.match(p.json?.(c), /"set-cookie":"REDACTED","x":"2"/)
})

t.test('records that repeat some of the previous one\'s fields: every line is DESIGN.md\'s record', async t => {
  // Each step keeps the previous source's draw but for a few keys, so the line's runs of
  // repeating fields (host and client, the request, the response, the upstream, the waf part)
  // are reused whole, rebuilt for one changed value, or rebuilt throughout.
  const keys = ['method', 'url', 'httpVersion', 'headers', 'response', 'hasResponse', 'numbers', 'texts', 'upstream', 'bot', 'cc', 'attacks', 'error', 'redact'] as const
  let lines = 0
  const r = fc.check(fc.property(fc.array(fc.tuple(hostileSource, fc.subarray([...keys], { maxLength: 3 })), { minLength: 2, maxLength: 12 }), steps => {
    const { worker, node } = steps[0][0]
    const producer = accessProducer(worker, node)
    let cur = steps[0][0]
    for (const [next, changed] of steps) {
      const merged = { ...cur }
      for (const k of changed) (merged as Record<string, unknown>)[k] = next[k]
      cur = merged
      const src = hostileToSource(cur)
      const expected = jsonLine(referenceRecord(src, worker, node))
      const line = producer.json?.(src)
      if (line !== expected) throw new Error(`line differs:\n${expected}\n${String(line)}`)
      lines++
    }
  }), { numRuns: 300 })
  t.notOk(r.failed, r.failed ? `${String(r.errorInstance)}\non ${JSON.stringify(r.counterexample)}` : 'no counterexample')
  t.ok(lines > 1000, `${lines} lines in sequences, each the hand-written record's JSON`)
})
