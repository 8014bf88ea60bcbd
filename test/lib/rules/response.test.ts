import t from 'tap'
import type { Test } from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync, brotliCompressSync } from 'node:zlib'
import '../../../lib/rules/seclang/index.js'
import { compileRule, loadRules, RuleEngine, RuleSetBuilder } from '../../../lib/rules/index.js'
import type { EngineOptions, RequestInput, RuleSpec } from '../../../lib/rules/index.js'
import { configureSecLang, secLangResponseSettings } from '../../../lib/rules/seclang/index.js'
import { hasResponseRules, logging, responseBody, responseHead } from '../../../lib/rules/response.js'
import { bodyEncodingOf, ResponseBodyReader } from '../../../lib/rules/response-body.js'
import { ResponseInspection } from '../../../lib/rules/response-inspect.js'
import type { ResponseInput } from '../../../lib/rules/response-data.js'
import { CRS_DIR, crsTestRules } from '../../crs/setup.js'

const GET: RequestInput = { method: 'GET', url: '/', rawHeaders: ['Host', 'shop.example'], remoteAddress: '203.0.113.9' }

function engine (specs: RuleSpec[], opts: EngineOptions = { mode: 'detect' }): RuleEngine {
  const b = new RuleSetBuilder()
  specs.forEach((s, i) => b.add(compileRule({ id: i + 1, disruptive: 'deny', ...s })))
  return new RuleEngine(b.build(), opts)
}

/** Phases 1–4 over one response; the ids matched. */
function run (e: RuleEngine, head: ResponseInput, body?: string | Buffer): { ids: string[], locations: string[], tx: ReturnType<RuleEngine['begin']> } {
  const tx = e.begin(GET)
  e.phase(tx, 1)
  e.phase(tx, 2)
  responseHead(e, tx, head)
  responseBody(e, tx, e.response, body === undefined ? undefined : Buffer.from(body))
  logging(e, tx)
  return { ids: tx.matches.map(m => m.rule.id), locations: tx.matches.map(m => m.location), tx }
}

t.test('each response variable, as the engine reads it', async t => {
  const e = engine([
    { phase: 3, targets: ['RESPONSE_STATUS'], operator: { name: 'streq', argument: '500' } },
    { phase: 3, targets: ['RESPONSE_PROTOCOL'], operator: { name: 'streq', argument: 'HTTP/1.0' } },
    { phase: 3, targets: ['RESPONSE_HEADERS:x-powered-by'], operator: { name: 'contains', argument: 'PHP' } },
    { phase: 3, targets: ['RESPONSE_HEADERS_NAMES'], operator: { name: 'streq', argument: 'X-Aspnet-Version' } },
    { phase: 3, targets: ['RESPONSE_CONTENT_TYPE'], operator: { name: 'beginsWith', argument: 'text/html' } },
    { phase: 3, targets: ['RESPONSE_CONTENT_LENGTH'], operator: { name: 'gt', argument: '100' } },
    { phase: 4, targets: ['RESPONSE_BODY'], operator: { name: 'contains', argument: 'ORA-00933' } },
    { phase: 3, targets: ['&RESPONSE_HEADERS:set-cookie'], operator: { name: 'eq', argument: '2' } }
  ])
  const head: ResponseInput = {
    status: 500,
    protocol: 'HTTP/1.0',
    headers: { 'x-powered-by': 'PHP/5.4', 'x-aspnet-version': '4.0', 'content-type': 'text/html; charset=utf-8', 'content-length': 120, 'set-cookie': ['a=1', 'b=2'] }
  }
  const r = run(e, head, 'SQL Error: ORA-00933: SQL command not properly ended')
  t.same(r.ids, ['1', '2', '3', '4', '5', '6', '8', '7'], 'phase 3 in order, then phase 4')
  t.same(r.locations, ['RESPONSE_STATUS', 'RESPONSE_PROTOCOL', 'RESPONSE_HEADERS:X-Powered-By', 'RESPONSE_HEADERS_NAMES:X-Aspnet-Version',
    'RESPONSE_CONTENT_TYPE', 'RESPONSE_CONTENT_LENGTH', '&RESPONSE_HEADERS:set-cookie', 'RESPONSE_BODY'])
  t.same(e.attacks(r.tx).map(a => a.phase), [3, 3, 3, 3, 3, 3, 3, 4], 'attack entries carry their phase')
  const clean = run(e, { status: 200, headers: { 'content-type': 'application/json' }, length: 50 }, '{"ok":true}')
  t.same(clean.ids, [], 'a clean response matches nothing; the protocol defaults to HTTP/1.1')
  const sized = run(e, { status: 200, headers: {}, length: 500 })
  t.same(sized.ids, ['6'], 'RESPONSE_CONTENT_LENGTH from the known length without a header')
  t.ok(hasResponseRules(e.ruleSet))
  t.notOk(hasResponseRules(engine([{ phase: 1, targets: ['ARGS'], operator: { name: 'contains', argument: 'x' } }]).ruleSet))
})

t.test('the limit: RESPONSE_BODY holds the first bytes, the cut is an entry; Reject denies in block mode', async t => {
  const spec: RuleSpec = { phase: 4, targets: ['RESPONSE_BODY'], operator: { name: 'contains', argument: 'leak' } }
  const partial = engine([spec], { mode: 'block', response: { bodyBytes: 10 } })
  let r = run(partial, { status: 200, headers: { 'content-type': 'text/plain' } }, 'x'.repeat(20) + 'leak')
  t.same(r.ids, [], 'past the limit: not seen')
  t.equal(r.tx.response?.body, 'x'.repeat(10))
  t.match(partial.attacks(r.tx), [{ ruleId: '200004', location: 'RESPONSE_BODY', payload: 'inspected 10 of more than 10 bytes', action: 'log', phase: 4 }])
  t.equal(r.tx.interrupted, undefined, 'ProcessPartial passes')
  r = run(partial, { status: 200, headers: {} }, 'leak' + 'x'.repeat(20))
  t.same(r.ids, ['1'], 'within the limit: seen')
  const reject = engine([spec], { mode: 'block', response: { bodyBytes: 10, limitAction: 'Reject' } })
  r = run(reject, { status: 200, headers: {} }, 'x'.repeat(11))
  t.equal(r.tx.interrupted?.status, 403, 'Reject denies')
  t.match(reject.attacks(r.tx), [{ ruleId: '200004', action: 'deny' }])
  const detect = engine([spec], { mode: 'detect', response: { bodyBytes: 10, limitAction: 'Reject' } })
  t.equal(run(detect, { status: 200, headers: {} }, 'x'.repeat(11)).tx.interrupted, undefined, 'detect mode never denies')
})

async function loadConf (t: Test, text: string): Promise<{ builder: RuleSetBuilder, engine: RuleEngine }> {
  const file = join(t.testdir({}), 'r.conf')
  writeFileSync(file, text)
  const builder = new RuleSetBuilder()
  await loadRules(file, builder)
  return { builder, engine: new RuleEngine(builder.build(), { mode: 'block', response: secLangResponseSettings(builder) }) }
}

t.test('SecLang: phase:3, phase:4 and phase:response; the SecResponseBody* directives', async t => {
  const { builder, engine: e } = await loadConf(t, [
    'SecResponseBodyAccess On',
    'SecResponseBodyMimeType text/plain application/xml',
    'SecResponseBodyMimeType text/csv',
    'SecResponseBodyLimit 2048',
    'SecResponseBodyLimitAction Reject',
    'SecRule RESPONSE_HEADERS:Server "@rx /\\d" "id:1,phase:3,deny,status:502,log"',
    'SecRule RESPONSE_BODY "@contains stack trace" "id:2,phase:response,deny,log"',
    'SecRule RESPONSE_STATUS "@streq 418" "id:3,phase:4,pass,log"'
  ].join('\n'))
  const s = secLangResponseSettings(builder)
  t.same({ ...s, types: [...(s.types ?? [])] }, { bodyAccess: true, types: ['text/plain', 'application/xml', 'text/csv'], bodyBytes: 2048, limitAction: 'Reject' })
  t.same(e.ruleSet.rules.map(r => [r.id, r.phase]), [['1', 3], ['2', 4], ['3', 4]], 'phase:response is 4')
  const denied = run(e, { status: 200, headers: { server: 'Apache/2.4' } })
  t.equal(denied.tx.interrupted?.status, 502, 'a phase-3 deny with its status')
  t.same(run(e, { status: 418, headers: { server: 'Apache' } }, 'a stack trace here').ids, ['2'], 'the phase-4 deny ends the phase before rule 3')
  t.same(run(e, { status: 418, headers: { server: 'Apache' } }, 'fine').ids, ['3'])
  const { builder: cleared } = await loadConf(t, 'SecResponseBodyMimeTypesClear\nSecResponseBodyAccess Off\n')
  t.same([...(secLangResponseSettings(cleared).types ?? ['x'])], [], 'cleared: no type is read')
  t.equal(secLangResponseSettings(cleared).bodyAccess, false)
  for (const [text, reason] of [
    ['SecResponseBodyAccess Maybe', /expects On or Off/],
    ['SecResponseBodyLimit -5', /expects a number of bytes/],
    ['SecResponseBodyLimitAction Drop', /expects ProcessPartial or Reject/]
  ] as const) {
    await t.rejects(loadConf(t, text), reason, `${text}: a load error`)
  }
})

t.test('the body reader: decoding is bounded, a cut-short body gives what it holds, a broken one says why', async t => {
  const limit = 4096
  const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024))
  const reader = new ResponseBodyReader(limit, 'gzip')
  reader.write(bomb)
  reader.end()
  await new Promise<void>(resolve => reader.whenDone(resolve))
  t.ok(reader.truncated)
  t.equal(reader.bytes().length, limit + 1, 'kept: the limit and one byte')
  t.ok(reader.decoded < limit + 256 * 1024, `decoded ${reader.decoded} bytes of 32 MiB`)

  const text = Buffer.from('hello '.repeat(1000))
  const br = brotliCompressSync(text)
  const short = new ResponseBodyReader(1 << 20, 'br')
  short.write(br.subarray(0, Math.floor(br.length / 2)))
  short.end()
  await new Promise<void>(resolve => short.whenDone(resolve))
  t.equal(short.error, undefined, 'a truncated stream is not an error')
  t.ok(text.toString().startsWith(short.bytes().toString()), 'what decoded is the start of the body')

  const broken = new ResponseBodyReader(1 << 20, 'gzip')
  broken.write(Buffer.from('not gzip at all'))
  broken.end()
  await new Promise<void>(resolve => broken.whenDone(resolve))
  t.match(broken.error, /header/i)
  t.same([bodyEncodingOf(undefined), bodyEncodingOf('identity'), bodyEncodingOf('GZIP'), bodyEncodingOf('x-gzip'), bodyEncodingOf('br'), bodyEncodingOf('zstd')],
    [undefined, undefined, 'gzip', 'gzip', 'br', { unsupported: 'zstd' }])
})

const crsPresent = existsSync(join(CRS_DIR, 'rules', 'RESPONSE-959-BLOCKING-EVALUATION.conf'))
if (!crsPresent && process.env.CI !== undefined) t.fail(`the CRS corpus is absent (${CRS_DIR}); CI must have it`)

t.test('the CRS at PL1: outbound anomaly scoring denies by rule 959100; phase 5 reports', { skip: crsPresent ? false : `the CRS corpus is absent (${CRS_DIR})` }, async t => {
  const builder = new RuleSetBuilder()
  configureSecLang(builder, { paranoia: 1, tx: { reporting_level: 4 } })
  await loadRules(crsTestRules(t.testdir({})).filter(f => !f.endsWith('crs-test-setup.conf')), builder)
  const e = new RuleEngine(builder.build(), { mode: 'block' })
  const head: ResponseInput = { status: 200, headers: { 'content-type': 'text/html' } }
  const logged = (r: ReturnType<typeof run>): string[] => e.attacks(r.tx).map(x => x.ruleId)
  const leak = run(e, head, '<html><?php echo "Hello World!"; ?></html>')
  const ids = logged(leak)
  t.ok(ids.some(id => id.startsWith('953')), ids.join(','))
  t.ok(ids.includes('959100'), 'outbound threshold reached: 959100')
  t.equal(leak.tx.interrupted?.status, 403, 'block mode: denied')
  t.ok(Number(leak.tx.getTx('blocking_outbound_anomaly_score')) >= Number(leak.tx.getTx('outbound_anomaly_score_threshold')), 'the score reached tx.outbound_anomaly_score_threshold')
  t.ok(ids.includes('980170'), 'the phase-5 report, after the deny')
  t.same(logged(run(e, head, '<html><p>hello</p></html>')), [], 'a clean page: nothing logged')

  // Compressed: the CRS skips a body whose Content-Encoding says it is compressed (95x010); one
  // decoded for inspection is read, and its phase-3 headers still had the encoding.
  const gz = gzipSync(Buffer.from('<html><?php echo "Hello World!"; ?></html>'))
  const zipped = async (decode: boolean): Promise<string[]> => {
    const tx = e.begin(GET)
    e.phase(tx, 1)
    e.phase(tx, 2)
    const inspection = new ResponseInspection(e, tx)
    const headers = { 'content-type': 'text/html', 'content-encoding': decode ? 'gzip' : 'zstd' }
    await new Promise<void>(resolve => { inspection.inspect({ status: 200, headers }, gz, true, () => { resolve() }) })
    inspection.finish()
    return e.attacks(tx).map(x => x.ruleId)
  }
  const decoded = await zipped(true)
  t.ok(decoded.some(id => id.startsWith('953')) && decoded.includes('959100'), `gzip, decoded: the leak is found (${decoded.join(',')})`)
  const opaque = await zipped(false)
  t.notOk(opaque.some(id => id.startsWith('953')), 'zstd, not decoded: the CRS skips it, and the cut says so')
  t.ok(opaque.includes('200005'))
})
