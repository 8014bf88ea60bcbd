import t from 'tap'
import fc from 'fast-check'
import { LogFramework } from '../../../lib/log/framework.js'
import { tsvString } from '../../../lib/log/writers/tsv.js'
import { asText } from '../../../lib/text/escape.js'
import { MemoryChannels } from './memory.js'

process.env.TZ = 'UTC'

/** What a Zeek reader does with a string cell: `\xhh` back to the byte (as a char). */
function unescapeCell (cell: string): string {
  return cell.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
}

function setup (): { log: LogFramework, ch: MemoryChannels } {
  const ch = new MemoryChannels(['a', 'b'])
  return { log: new LogFramework(ch), ch }
}

t.test('the Zeek header comes once per channel, before the first record; #close on close', async t => {
  const { log, ch } = setup()
  log.declareFields('access', { columns: ['ts', 'host', 'ok'], types: { ts: 'count', host: 'string', ok: 'bool' } })
  log.addFilter('access', { name: 'tsv', channel: 'a', writer: 'tsv' })
  log.write('access', { ts: 1, host: 'x', ok: true })
  log.write('access', { ts: 2, host: 'y', ok: false })
  const lines = ch.lines('a')
  t.equal(lines[0], '#separator \\x09')
  t.equal(lines[1], '#set_separator\t,')
  t.equal(lines[2], '#empty_field\t(empty)')
  t.equal(lines[3], '#unset_field\t-')
  t.equal(lines[4], '#path\taccess')
  t.match(lines[5], /^#open\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/)
  t.equal(lines[6], '#fields\tts\thost\tok')
  t.equal(lines[7], '#types\tcount\tstring\tbool')
  t.same(lines.slice(8), ['1\tx\tT', '2\ty\tF'])
  log.close()
  t.match(lines[10], /^#close\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/)
  t.equal(lines.length, 11)
})

t.test('columns come from include (with fieldNameMap), else from the stream\'s declared fields, never from a record', async t => {
  const { log, ch } = setup()
  log.addFilter('access', {
    name: 'inc',
    channel: 'a',
    writer: 'tsv',
    include: ['started_at', 'request.method', 'latency', 'upstream.addr'],
    fieldNameMap: { 'request.method': 'method' },
    types: { started_at: 'time' }
  })
  log.declareFields('access', { columns: ['started_at', 'request.method', 'late', 'tags', 'empty', 'neg'], types: { started_at: 'time', late: 'string', tags: 'vector[string]' } })
  log.addFilter('access', { name: 'declared', channel: 'b', writer: 'tsv', exclude: ['neg'] })
  log.write('access', { started_at: 1763764800123, request: { method: 'GET', headers: { ua: 'u' } }, latency: 1.5, upstream: null, tags: ['a', 'b,c'], empty: [] })
  log.write('access', { started_at: 1763764800124, request: { method: 'PUT' }, late: 'here', tags: [], empty: [], neg: -3 })
  const a = ch.lines('a')
  t.equal(a[6], '#fields\tstarted_at\tmethod\tlatency\tupstream.addr')
  t.equal(a[7], '#types\ttime\tstring\tdouble\tstring')
  t.equal(a[8], '1763764800.123000\tGET\t1.5\t-')
  const b = ch.lines('b')
  t.equal(b[6], '#fields\tstarted_at\trequest.method\tlate\ttags\tempty', 'the declared columns, in order, less exclude')
  t.equal(b[7], '#types\ttime\tstring\tstring\tvector[string]\tvector[string]', 'declared types; the one undeclared type from its first value')
  t.equal(b[8], '1763764800.123000\tGET\t-\ta,b\\x2cc\t(empty)', 'a field the first record lacks is unset, not dropped')
  t.equal(b[9], '1763764800.124000\tPUT\there\t(empty)\t(empty)', 'a field first seen in a later record has its column')
})

t.test('a tsv filter on a stream that declares no fields needs include', async t => {
  const { log } = setup()
  log.createStream('events')
  t.throws(() => log.addFilter('events', { name: 'tsv', channel: 'a', writer: 'tsv' }), /filter "tsv": writer "tsv" needs option "include" \(the columns\): stream "events" declares no fields/)
  t.throws(() => log.declareFields('events', { columns: [], types: {} }), /"columns" of stream "events" must be a non-empty list/)
  log.addFilter('events', { name: 'tsv', channel: 'a', writer: 'tsv', include: ['a'] })
  t.pass('include is enough')
})

t.test('string cells: escapes, reserved values, the leading #', async t => {
  t.equal(tsvString(''), '(empty)')
  t.equal(tsvString('-'), '\\x2d')
  t.equal(tsvString('(empty)'), '\\x28empty)')
  t.equal(tsvString('a\tb\nc\rd'), 'a\\x09b\\x0ac\\x0dd')
  t.equal(tsvString('back\\slash'), 'back\\x5cslash')
  t.equal(tsvString('del\x7f'), 'del\\x7f')
  t.equal(tsvString('a,b'), 'a,b', 'a comma is fine outside a set')
  t.equal(tsvString('a,b', true), 'a\\x2cb')
  t.equal(tsvString(Buffer.from('café', 'utf8').toString('latin1')), 'café', 'UTF-8 bytes are text')
  t.equal(tsvString('\xff\xfe'), '\\xff\\xfe', 'bytes that are not UTF-8 are escaped')
  t.equal(tsvString('€'), '€')
  const { log, ch } = setup()
  log.addFilter('access', { name: 'tsv', channel: 'a', writer: 'tsv', include: ['first', 'second'] })
  log.write('access', { first: '#not a header', second: '#fine' })
  log.write('access', { first: { nested: 'obj' }, second: 'x' })
  t.equal(ch.lines('a')[8], '\\x23not a header\t#fine')
  log.write('access', { second: 'y' })
  t.equal(ch.lines('a')[9], '{"nested":"obj"}\tx', 'an object is written as JSON text')
  t.equal(ch.lines('a')[10], '-\ty', 'a field missing in a later record is unset')
})

t.test('any string survives a round trip, and a cell never holds a tab or a line break', async t => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), s => {
    const cell = tsvString(s)
    if (/[\t\r\n]/.test(cell)) return false
    if (s === '') return cell === '(empty)'
    return unescapeCell(cell) === asText(s)
  }), { numRuns: 500 })
  t.pass('500 random strings round-tripped')
})

t.test('booleans, numbers, objects and non-finite values', async t => {
  const { log, ch } = setup()
  log.addFilter('access', { name: 'tsv', channel: 'a', writer: 'tsv', include: ['a', 'b', 'c', 'd', 'e'], types: { e: 'interval' } })
  log.write('access', { a: true, b: Number.NaN, c: { k: 'v\tw' }, d: 7, e: 2500 })
  t.equal(ch.lines('a')[7], '#types\tbool\tdouble\tstring\tcount\tinterval')
  t.equal(ch.lines('a')[8], 'T\t-\t{"k":"v\\x5ctw"}\t7\t2.500000')
})

t.test('replacing a tsv filter closes the old one on its channels', async t => {
  const { log, ch } = setup()
  log.addFilter('access', { name: 'tsv', channel: 'a', writer: 'tsv', include: ['a'] })
  log.write('access', { a: 1 })
  log.addFilter('access', { name: 'tsv', channel: 'a', writer: 'tsv', include: ['a'] })
  log.write('access', { a: 2 })
  const lines = ch.lines('a')
  t.match(lines[9], /^#close\t/)
  t.equal(lines[10], '#separator \\x09', 'the new filter writes its own header')
  t.equal(lines.at(-1), '2')
})
