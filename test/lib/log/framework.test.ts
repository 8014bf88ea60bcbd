import t from 'tap'
import { LogFramework, STANDARD_STREAMS } from '../../../lib/log/framework.js'
import { jsonLine } from '../../../lib/log/writers/json.js'
import { kSource } from '../../../lib/log/types.js'
import type { LogRecord, RecordProducer, RecordSource } from '../../../lib/log/types.js'
import { MemoryChannels } from './memory.js'
import { fakeSource } from '../access/fixtures.js'

function setup (names = ['a', 'b'], opts: ConstructorParameters<typeof LogFramework>[1] = {}): { log: LogFramework, ch: MemoryChannels, errors: unknown[] } {
  const ch = new MemoryChannels(names)
  const errors: unknown[] = []
  const log = new LogFramework(ch, { onError: err => errors.push(err), ...opts })
  return { log, ch, errors }
}

const rec = (): LogRecord => ({ type: 't', n: 1, req: { method: 'GET', headers: { ua: 'x', auth: 's' } }, status: 200 })

t.test('streams: the standard four, createStream, unknown streams', async t => {
  const { log } = setup()
  for (const s of STANDARD_STREAMS) t.ok(log.hasStream(s), s)
  const s1 = log.createStream('custom')
  t.equal(log.createStream('custom'), s1, 'creating again returns the same stream')
  t.throws(() => log.stream('nope'), /there is no stream "nope"/)
  t.throws(() => log.createStream(''), /non-empty string/)
  t.equal(log.write('nope', rec()), false)
  t.throws(() => log.addFilter('nope', { name: 'x', channel: 'a' }), /no stream "nope"/)
})

t.test('a json filter writes one object per line; U+2028 cannot break a line', async t => {
  const { log, ch } = setup()
  log.addFilter('access', { name: 'default', channel: 'a' })
  t.equal(log.write('access', { v: 'x\u2028y\u2029z\nw' }), true)
  t.same(ch.lines('a'), ['{"v":"x\\u2028y\\u2029z\\nw"}'])
  t.same(JSON.parse(ch.lines('a')[0]), { v: 'x\u2028y\u2029z\nw' })
  t.equal(jsonLine({ a: 1 }), '{"a":1}')
})

t.test('include, exclude and fieldNameMap choose and rename fields without touching the record', async t => {
  const { log, ch } = setup(['a', 'b', 'c'])
  log.addFilter('access', { name: 'inc', channel: 'a', include: ['type', 'req.method', 'missing.x'] })
  log.addFilter('access', { name: 'exc', channel: 'b', exclude: ['req.headers.auth', 'n'] })
  log.addFilter('access', { name: 'map', channel: 'c', include: ['req.method', 'status'], fieldNameMap: { 'req.method': 'http.verb', status: 'code' } })
  const r = rec()
  const before = JSON.stringify(r)
  log.write('access', r)
  t.same(JSON.parse(ch.lines('a')[0]), { type: 't', req: { method: 'GET' } })
  t.same(JSON.parse(ch.lines('b')[0]), { type: 't', req: { method: 'GET', headers: { ua: 'x' } }, status: 200 })
  t.same(JSON.parse(ch.lines('c')[0]), { http: { verb: 'GET' }, code: 200 })
  t.equal(JSON.stringify(r), before, 'the source record is unchanged')
})

t.test('a policy vetoes; a throwing policy costs only its own filter', async t => {
  const { log, ch, errors } = setup()
  log.addFilter('access', { name: 'errors', channel: 'a', policy: r => (r.status as number) >= 400 })
  log.addFilter('access', { name: 'boom', channel: 'b', policy: () => { throw new Error('boom') } })
  log.addFilter('access', { name: 'all', channel: 'b' })
  log.write('access', { status: 200 })
  log.write('access', { status: 503 })
  t.same(ch.lines('a'), ['{"status":503}'])
  t.same(ch.lines('b'), ['{"status":200}', '{"status":503}'])
  t.equal(errors.length, 2)
  const stats = log.stats().access.filters
  t.equal(stats.errors.vetoed, 1)
  t.equal(stats.errors.accepted, 1)
  t.equal(stats.all.lines, 2)
})

t.test('path() routes records to channels by content, opening URLs on demand up to a bound', async t => {
  const { log, ch, errors } = setup(['a', 'b'], { maxPathChannels: 2 })
  log.addFilter('access', { name: 'per-domain', path: r => r.host === 'known' ? 'a' : `file:///tmp/waf-${String(r.host)}.log` })
  log.write('access', { host: 'known' })
  log.write('access', { host: 'one' })
  log.write('access', { host: 'one' })
  log.write('access', { host: 'two' })
  log.write('access', { host: 'three' })
  t.same(ch.lines('a'), ['{"host":"known"}'])
  t.same(ch.opened, ['file:///tmp/waf-one.log', 'file:///tmp/waf-two.log'], 'named channels do not count toward the bound')
  t.same(ch.lines('file:///tmp/waf-one.log'), ['{"host":"one"}', '{"host":"one"}'])
  t.equal(log.stats().access.filters['per-domain'].unrouted, 1, 'the third URL is past the bound')
  log.addFilter('heartbeat', { name: 'broken', path: () => 'file:///unopenable/x.log' })
  log.write('heartbeat', { x: 1 })
  log.write('heartbeat', { x: 2 })
  t.equal(errors.length, 1, 'a channel that cannot be opened is reported once')
  t.equal(log.stats().heartbeat.filters.broken.unrouted, 1, 'then its records count as unrouted')
  log.addFilter('attack', { name: 'bad', path: () => 'not a channel' })
  log.addFilter('attack', { name: 'empty', path: () => '' })
  t.equal(log.write('attack', { x: 1 }), false)
  t.equal(log.stats().attack.filters.bad.unrouted, 1)
  t.equal(log.stats().attack.unaccepted, 1)
})

t.test('a filter with the same name replaces the old one; removeFilter removes', async t => {
  const { log, ch } = setup()
  log.addFilter('access', { name: 'f', channel: 'a' })
  log.addFilter('access', { name: 'f', channel: 'b' })
  log.write('access', { v: 1 })
  t.same(ch.lines('a'), [])
  t.same(ch.lines('b'), ['{"v":1}'])
  t.same(log.stream('access').filterNames(), ['f'])
  t.ok(log.hasFilter('access', 'f'))
  t.equal(log.removeFilter('access', 'f'), true)
  t.equal(log.removeFilter('access', 'f'), false)
  t.equal(log.write('access', { v: 2 }), false, 'nothing accepted')
})

t.test('disableStream stops writes and listeners; enableStream resumes', async t => {
  const { log, ch } = setup()
  const seen: LogRecord[] = []
  log.addFilter('heartbeat', { name: 'default', channel: 'a' })
  log.onWrite('heartbeat', r => seen.push(r))
  log.disableStream('heartbeat')
  t.equal(log.write('heartbeat', { v: 1 }), false)
  t.same(ch.lines('a'), [])
  t.same(seen, [])
  log.enableStream('heartbeat')
  t.equal(log.write('heartbeat', { v: 2 }), true)
  t.same(seen, [{ v: 2 }])
  t.equal(log.stats().heartbeat.enabled, true)
})

t.test('onWrite listeners see every record, errors go to onError and stop nothing', async t => {
  const { log, ch, errors } = setup()
  log.addFilter('attack', { name: 'default', channel: 'a' })
  const seen: unknown[] = []
  log.onWrite('attack', () => { throw new Error('listener') })
  log.onWrite('attack', r => seen.push(r.v))
  log.write('attack', { v: 1 })
  t.same(seen, [1])
  t.same(ch.lines('a'), ['{"v":1}'])
  t.equal(errors.length, 1)
  t.throws(() => log.onWrite('attack', 'no' as never), /must be a function/)
})

t.test('write returns false when the channel drops the line', async t => {
  const { log, ch } = setup()
  log.addFilter('access', { name: 'default', channel: 'a' })
  ch.channel('a').accepting = false
  t.equal(log.write('access', { v: 1 }), false)
  const s = log.stats().access
  t.equal(s.records, 1)
  t.equal(s.unaccepted, 1)
  t.equal(s.filters.default.lines, 1)
  t.equal(s.filters.default.accepted, 0)
})

t.test('filter options are checked, each error names the option', async t => {
  const { log } = setup()
  const bad: Array<[unknown, RegExp]> = [
    [null, /a filter must be an object/],
    [{ channel: 'a' }, /option "name" must be a non-empty string/],
    [{ name: 'x' }, /give exactly one of option "channel" or option "path"/],
    [{ name: 'x', channel: 'a', path: () => 'a' }, /exactly one of/],
    [{ name: 'x', channel: 'zz' }, /option "channel" names "zz", which is not a configured channel/],
    [{ name: 'x', path: 'a' }, /option "path" must be a function/],
    [{ name: 'x', channel: 'a', policy: true }, /option "policy" must be a function/],
    [{ name: 'x', channel: 'a', writer: 'xml' }, /option "writer" is "xml"; expected one of json, tsv, nginx, raw/],
    [{ name: 'x', channel: 'a', format: '$status' }, /options "format" and "escape" apply only to writer "nginx"/],
    [{ name: 'x', channel: 'a', types: {} }, /option "types" applies only to writer "tsv"/],
    [{ name: 'x', channel: 'a', writer: 'nginx' }, /writer "nginx" needs option "format"/],
    [{ name: 'x', channel: 'a', writer: 'nginx', format: '$status', include: ['a'] }, /do not apply to writer "nginx"/],
    [{ name: 'x', channel: 'a', writer: 'nginx', format: '$bogus' }, /unknown variable "\$bogus"/],
    [{ name: 'x', channel: 'a', writer: 'nginx', format: 'nosuchformat' }, /names "nosuchformat", which is not a defined format/],
    [{ name: 'x', channel: 'a', include: ['a..b'] }, /option "include\[0\]" holds "a..b"/],
    [{ name: 'x', channel: 'a', fieldNameMap: 'x' }, /option "fieldNameMap" must be an object/],
    [{ name: 'x', channel: 'a', writer: 'tsv', types: { a: 'float' } }, /option "types.a" is "float"/]
  ]
  for (const [spec, re] of bad) t.throws(() => log.addFilter('access', spec as never), re, String(re))
  t.throws(() => new LogFramework(new MemoryChannels([]), { maxPathChannels: -1 }), /option "maxPathChannels"/)
})

t.test('the raw writer writes the record\'s line field', async t => {
  const { log, ch } = setup()
  log.addFilter('forensic', { name: 'default', channel: 'a', writer: 'raw' })
  log.write('forensic', { line: '+abc|GET / HTTP/1.1' })
  log.write('forensic', { noline: true })
  t.same(ch.lines('a'), ['+abc|GET / HTTP/1.1'])
})

t.test('nginx filters: a named format, an inline format, a record without source', async t => {
  const { log, ch } = setup()
  log.defineFormat('short', '$request_method $status')
  log.addFilter('access', { name: 'n1', channel: 'a', writer: 'nginx', format: 'short' })
  log.addFilter('access', { name: 'n2', channel: 'b', writer: 'nginx', format: '{"ua":"$http_user_agent"}', escape: 'json' })
  const src = fakeSource({ headers: { 'user-agent': 'say "hi"' } })
  log.write('access', { [kSource]: src })
  log.write('access', { nosource: true })
  t.same(ch.lines('a'), ['GET 200'])
  t.same(ch.lines('b'), ['{"ua":"say \\"hi\\""}'])
  t.throws(() => log.defineFormat('short', '$status'), /duplicate format name "short"/)
})

t.test('writeFrom builds the record only when something needs the object', async t => {
  const { log, ch } = setup(['a', 'b', 'c'])
  let builds = 0
  let jsons = 0
  const producer: RecordProducer = {
    build (src: RecordSource) { builds++; return { status: src.status, [kSource]: src } },
    json (src: RecordSource) { jsons++; return JSON.stringify({ status: src.status }) }
  }
  const src = fakeSource()
  log.addFilter('access', { name: 'default', channel: 'a' })
  log.addFilter('access', { name: 'again', channel: 'b' })
  log.addFilter('access', { name: 'nginx', channel: 'c', writer: 'nginx', format: '$status' })
  t.equal(log.writeFrom('access', src, producer), true)
  t.equal(builds, 0, 'json and nginx filters need no object')
  t.equal(jsons, 1, 'the JSON line is made once for both json filters')
  t.same(ch.lines('a'), ['{"status":200}'])
  t.same(ch.lines('b'), ['{"status":200}'])
  t.same(ch.lines('c'), ['200'])

  log.addFilter('access', { name: 'errors-only', channel: 'b', policy: r => (r.status as number) >= 400 })
  log.addFilter('access', { name: 'projected', channel: 'c', include: ['status'] })
  log.writeFrom('access', src, producer)
  t.equal(builds, 1, 'one build shared by the filters that need it')
  t.same(ch.lines('c'), ['200', '200', '{"status":200}'])

  const seen: unknown[] = []
  log.onWrite('access', r => seen.push(r.status))
  log.writeFrom('access', src, producer)
  t.equal(builds, 2)
  t.same(seen, [200])
  t.equal(jsons, 2, 'with a built record, json filters serialize that record')

  log.disableStream('access')
  t.equal(log.writeFrom('access', src, producer), false)
  t.equal(log.writeFrom('nope', src, producer), false)
})

t.test('writeFrom without a producer serializer falls back to the object', async t => {
  const { log, ch, errors } = setup()
  log.addFilter('access', { name: 'default', channel: 'a' })
  log.writeFrom('access', fakeSource(), { build: src => ({ s: src.status }) })
  t.same(ch.lines('a'), ['{"s":200}'])
  log.writeFrom('access', fakeSource(), { build: () => { throw new Error('bad build') } })
  t.equal(errors.length, 1)
})
