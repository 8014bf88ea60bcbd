import t from 'tap'
import { COMBINED, compileFormat } from '../../../lib/access/format.js'
import { FormatRegistry } from '../../../lib/access/formats.js'
import { lookupVariable, VARIABLE_NAMES } from '../../../lib/access/variables.js'
import { formatIso8601, formatTimeLocal, formatZeekStamp, secondsDotMs } from '../../../lib/text/clock.js'
import { fakeSource } from './fixtures.js'

process.env.TZ = 'UTC'

function render (format: string, src = fakeSource(), escape: 'default' | 'json' | 'none' = 'default'): string {
  return compileFormat(format, escape).render(src)
}

t.test('literal text and variables, $name and ${name}', async t => {
  t.equal(render('plain text'), 'plain text')
  t.equal(render('$request_method $request_uri'), 'GET /p?q=1')
  t.equal(render('${request_method}x${status}'), 'GETx200')
  t.equal(render('$status$status'), '200200')
  t.equal(render('$STATUS'), '200', 'names are case-insensitive')
  t.equal(render('a$status.b'), 'a200.b', 'a name ends at the first non-name character')
  t.same(compileFormat('$remote_addr [$http_user_agent]').variables, ['remote_addr', 'http_user_agent'])
})

t.test('errors name the variable and where it is', async t => {
  t.throws(() => compileFormat('ok $nosuch ok'), /character 4: unknown variable "\$nosuch"/)
  t.throws(() => compileFormat('x ${status'), /character 3: the closing bracket in "\$\{status" is missing/)
  t.throws(() => compileFormat('x ${'), /closing bracket/)
  t.throws(() => compileFormat('cost: $'), /character 7: "\$" is not followed by a variable name/)
  t.throws(() => compileFormat('$ x'), /not followed by a variable name/)
  t.throws(() => compileFormat('${}'), /not followed by a variable name/)
  t.throws(() => compileFormat('$status', 'xml' as 'json'), /option "escape" is "xml"/)
  t.throws(() => compileFormat('$http_'), /unknown variable "\$http_"/, 'a prefix alone is no variable')
  t.throws(() => compileFormat(42 as unknown as string), /must be a string/)
})

t.test('request variables', async t => {
  const src = fakeSource({
    method: 'POST',
    url: '/a//b/../c?x=1&Y=two&z',
    headers: {
      host: 'Shop.Example:8080',
      'user-agent': 'curl/8',
      referer: 'http://r/',
      cookie: 'sid=abc; theme=dark',
      'content-type': 'text/plain',
      'content-length': '5',
      authorization: 'Basic ' + Buffer.from('alice:pw').toString('base64'),
      'x-multi': ['a', 'b'] as unknown as string
    },
    redact: []
  })
  const cases: Array<[string, string]> = [
    ['$remote_addr', '203.0.113.7'],
    ['$remote_port', '51234'],
    ['$remote_user', 'alice'],
    ['$request', 'POST /a//b/../c?x=1&Y=two&z HTTP/1.1'],
    ['$request_method', 'POST'],
    ['$request_uri', '/a//b/../c?x=1&Y=two&z'],
    ['$uri', '/a/c'],
    ['$document_uri', '/a/c'],
    ['$args', 'x=1&Y=two&z'],
    ['$query_string', 'x=1&Y=two&z'],
    ['$is_args', '?'],
    ['$arg_x', '1'],
    ['$arg_y', 'two'],
    ['$arg_z', '-'],
    ['$server_protocol', 'HTTP/1.1'],
    ['$http_user_agent', 'curl/8'],
    ['$http_referer', 'http://r/'],
    ['$http_host', 'Shop.Example:8080'],
    ['$http_x_multi', 'a, b'],
    ['$http_x_missing', '-'],
    ['$cookie_sid', 'abc'],
    ['$cookie_theme', 'dark'],
    ['$cookie_none', '-'],
    ['$content_type', 'text/plain'],
    ['$content_length', '5'],
    ['$host', 'shop.example'],
    ['$server_addr', '127.0.0.1'],
    ['$server_port', '8080'],
    ['$scheme', 'http'],
    ['$https', ''],
    ['$pid', String(process.pid)]
  ]
  for (const [format, want] of cases) t.equal(render(format, src), want, format)
  t.equal(render('$args', fakeSource({ url: '/x' })), '-', 'no ? is not found')
  t.equal(render('$args', fakeSource({ url: '/x?' })), '-', 'an empty query is not found, as in nginx')
  t.equal(render('$is_args', fakeSource({ url: '/x' })), '')
  t.equal(render('$is_args', fakeSource({ url: '/x?' })), '')
})

t.test('response, timing and connection variables', async t => {
  const src = fakeSource({
    status: 404,
    requestMs: 1234.5678,
    endedAt: 1763764800456,
    responseBlock: 'HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Empty:\r\n\r\n',
    ctx: { bytesIn: 99, bytesOut: 500, wafMs: 0.2104, upstream: { addr: '127.0.0.1:3000', status: 502, startedAt: 0, durationMs: 11.8 } },
    redact: []
  })
  const header = 'HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Empty:\r\n\r\n'
  const cases: Array<[string, string]> = [
    ['$status', '404'],
    ['$bytes_sent', '500'],
    ['$body_bytes_sent', String(500 - header.length)],
    ['$request_length', '99'],
    ['$request_time', '1.235'],
    ['$msec', '1763764800.456'],
    ['$time_local', '21/Nov/2025:22:40:00 +0000'],
    ['$time_iso8601', '2025-11-21T22:40:00+00:00'],
    ['$sent_http_content_type', 'text/html'],
    ['$sent_http_set_cookie', 'a=1, b=2'],
    ['$sent_http_x_empty', ''],
    ['$sent_http_x_none', '-'],
    ['$upstream_addr', '127.0.0.1:3000'],
    ['$upstream_status', '502'],
    ['$upstream_response_time', '0.012'],
    ['$connection', '7'],
    ['$connection_requests', '3'],
    ['$pipe', '.'],
    ['$request_id', src.ctx.id],
    ['$waf_mode', 'block'],
    ['$waf_action', 'pass'],
    ['$waf_attacks', '0'],
    ['$waf_rules', '-'],
    ['$waf_bot', '0'],
    ['$waf_cc', '0'],
    ['$waf_time', '0.210']
  ]
  for (const [format, want] of cases) t.equal(render(format, src), want, format)
  t.equal(render('$upstream_addr $upstream_status $upstream_response_time', fakeSource()), '- - -', 'no upstream')
  t.equal(render('$pipe', { ...src, pipelined: true }), 'p')
  t.equal(render('$status', { ...src, status: 9 }), '009', 'three digits, as %03ui')
  t.equal(render('$body_bytes_sent', fakeSource({ ctx: { bytesOut: 10 } })), '0', 'never negative')
  const attacked = fakeSource({ ctx: { attacks: [{ ruleId: '1', msg: '', detectType: 'sqli', severity: 'critical', tags: [], location: 'ARGS:q', payload: 'x', action: 'deny' }, { ruleId: '2', msg: '', detectType: 'xss', severity: 'critical', tags: [], location: 'ARGS:q', payload: 'x', action: 'deny' }], action: 'deny', bot: true } })
  t.equal(render('$waf_attacks $waf_rules $waf_action $waf_bot', attacked), '2 1,2 deny 1')
})

t.test('a response not yet sent falls back to getHeader', async t => {
  const src = fakeSource({ responseBlock: null })
  src.res = { statusCode: 200, headersSent: false, _header: null, getHeader: (n: string) => n === 'x-a' ? ['1', '2'] : n === 'x-n' ? 5 : undefined } as never
  t.equal(render('$sent_http_x_a $sent_http_x_n $sent_http_x_none', src), '1, 2 5 -')
  t.equal(render('$sent_http_x_a $body_bytes_sent', { ...src, res: undefined }), '- 1234')
})

t.test('redacted headers read REDACTED, in every family', async t => {
  const src = fakeSource({
    headers: { authorization: 'Basic ' + Buffer.from('u:p').toString('base64'), cookie: 'sid=s3cret' },
    responseBlock: 'HTTP/1.1 200 OK\r\nSet-Cookie: sid=new\r\n\r\n'
  })
  t.equal(render('$http_authorization|$http_cookie|$cookie_sid|$cookie_none|$sent_http_set_cookie|$remote_user', src),
    'REDACTED|REDACTED|REDACTED|-|REDACTED|u')
})

t.test('missing values: - with escape=default, nothing with json and none', async t => {
  const src = fakeSource()
  t.equal(render('[$http_x_none]', src, 'default'), '[-]')
  t.equal(render('[$http_x_none]', src, 'json'), '[]')
  t.equal(render('[$http_x_none]', src, 'none'), '[]')
  t.equal(render('[$status]', src, 'json'), '[200]')
})

t.test('values go through the format escape; the log module variables never do', async t => {
  const src = fakeSource({ headers: { 'user-agent': 'a "b"\\\x01\xe9' } })
  t.equal(render('$http_user_agent', src, 'default'), 'a \\x22b\\x22\\x5C\\x01\\xE9')
  t.equal(render('$http_user_agent', src, 'json'), 'a \\"b\\"\\\\\\u0001\xe9')
  t.equal(render('$http_user_agent', src, 'none'), 'a "b"\\\x01\xe9')
  t.equal(render('"$time_local"', fakeSource({ endedAt: 0 }), 'json'), '"01/Jan/1970:00:00:00 +0000"')
})

t.test('combined is nginx combined', async t => {
  const src = fakeSource({ headers: { referer: 'http://r/', 'user-agent': 'UA' }, endedAt: 1763764800456, ctx: { bytesOut: 1000 }, responseBlock: 'HTTP/1.1 200 OK\r\n\r\n' })
  t.equal(render(COMBINED, src), '203.0.113.7 - - [21/Nov/2025:22:40:00 +0000] "GET /p?q=1 HTTP/1.1" 200 981 "http://r/" "UA"')
})

t.test('time strings in another zone, and their per-second cache', async t => {
  process.env.TZ = 'Asia/Dhaka'
  t.equal(formatTimeLocal(0), '01/Jan/1970:06:00:00 +0600')
  t.equal(formatIso8601(0), '1970-01-01T06:00:00+06:00')
  t.equal(formatZeekStamp(0), '1970-01-01-06-00-00')
  process.env.TZ = 'America/St_Johns'
  t.match(formatTimeLocal(Date.UTC(2025, 0, 1)), /^31\/Dec\/2024:20:30:00 -0330$/)
  process.env.TZ = 'UTC'
  t.equal(render('$time_local', fakeSource({ endedAt: 5000 })), '01/Jan/1970:00:00:05 +0000')
  t.equal(render('$time_local', fakeSource({ endedAt: 5999 })), '01/Jan/1970:00:00:05 +0000')
  t.equal(render('$time_local', fakeSource({ endedAt: 6000 })), '01/Jan/1970:00:00:06 +0000')
  t.equal(secondsDotMs(0), '0.000')
  t.equal(secondsDotMs(1005), '1.005')
  t.equal(secondsDotMs(12.4), '0.012')
  t.equal(secondsDotMs(-3), '0.000')
})

t.test('every named variable resolves', async t => {
  for (const name of VARIABLE_NAMES) {
    const v = lookupVariable(name)
    t.ok(v, name)
    const out = v?.get(fakeSource())
    t.ok(out === undefined || typeof out === 'string', name)
  }
})

t.test('the format registry: combined, names, duplicates', async t => {
  const reg = new FormatRegistry()
  t.ok(reg.has('combined'))
  t.equal(reg.compile('combined', undefined, 'x').text, COMBINED)
  t.equal(reg.compile('combined', 'json', 'x').escape, 'json', 'a filter escape overrides')
  reg.define('main', '$remote_addr $status')
  reg.define('js', { format: '{"s":"$status"}', escape: 'json' })
  reg.define('main', '$remote_addr $status') // the same again is fine
  t.equal(reg.compile('js', undefined, 'x').escape, 'json', 'a named format keeps its escape')
  t.equal(reg.compile('main', undefined, 'x').render(fakeSource()), '203.0.113.7 200')
  t.throws(() => reg.define('main', '$status'), /duplicate format name "main"/)
  t.throws(() => reg.define('combined', '$status'), /duplicate format name "combined"/)
  t.throws(() => reg.define('bad name', '$status'), /format name "bad name"/)
  t.throws(() => reg.define('broken', '$nope'), /format "broken".*unknown variable "\$nope"/)
  t.throws(() => reg.define('esc', { format: '$status', escape: 'html' as 'json' }), /format "esc": option "escape" is "html"/)
  t.throws(() => reg.define('obj', { } as never), /must be a log_format string or \{ format, escape \}/)
  t.throws(() => reg.compile('mian', undefined, 'owner'), /owner: option "format" names "mian", which is not a defined format; defined: combined, main, js/)
  t.equal(reg.compile('$status!', undefined, 'x').render(fakeSource()), '200!', 'a format string is compiled as it is')
  t.throws(() => reg.compile('', undefined, 'x'), /option "format" must be/)
})
