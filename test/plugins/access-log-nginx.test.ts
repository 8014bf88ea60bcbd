import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { wafSocket } from '../../plugins/socket.js'
import { wafAccessLog } from '../../plugins/access-log.js'
import { wafServerOptions } from '../../plugins/core.js'
import { buildRequest, rawRequest } from '../helpers/raw-http.js'
import { nginxMissing, startNginx } from '../helpers/nginx.js'

/**
 * Conformance with nginx: the same raw requests go to a real nginx and to a Fastify app with the
 * access log, both logging the same log_formats built from request-derived variables; the lines
 * must match byte for byte.
 */

const DEFAULT_FORMAT = '$remote_addr|$remote_user|$request|$request_method|$request_uri|$args|$is_args|$arg_a|$arg_B|$arg_none|' +
  '$server_protocol|$http_user_agent|$http_x_test|$http_referer|$http_host|$cookie_sid|$cookie_theme|$cookie_none|$uri|$content_length|$content_type'
const JSON_FORMAT = '{"addr":"$remote_addr","user":"$remote_user","req":"$request","uri":"$request_uri","args":"$args","a":"$arg_a",' +
  '"ua":"$http_user_agent","x":"$http_x_test","ref":"$http_referer","sid":"$cookie_sid","none":"$http_x_none","proto":"$server_protocol"}'

const basic = (s: string): string => 'Basic ' + Buffer.from(s, 'latin1').toString('base64')
const utf8 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1')

interface Case {
  name: string
  raw: string
  /** The value has bytes that are not UTF-8: escape=json keeps them as text, nginx as raw bytes. */
  notUtf8?: boolean
  /** Node's HTTP parser refuses what nginx takes: the app answers 400, and still logs the same request fields. */
  refusedByNode?: boolean
}

const UA: [string, string] = ['User-Agent', 'conformance/1.0']
const HOST: [string, string] = ['Host', 'shop.example']

const CASES: Case[] = [
  { name: 'plain GET with args', raw: buildRequest('GET', '/p?a=1&B=two&c', [HOST, UA]) },
  { name: 'quotes and backslashes', raw: buildRequest('GET', '/q', [HOST, ['User-Agent', 'say "hi" \\o/ \\x41'], ['X-Test', '"\\"']]) },
  { name: 'a tab inside a value', raw: buildRequest('GET', '/t', [HOST, ['X-Test', 'a\tb'], UA]) },
  { name: 'UTF-8 header', raw: buildRequest('GET', '/u', [HOST, ['X-Test', utf8('café ☕ ü')], ['User-Agent', utf8('Müller/1.0')]]) },
  { name: 'bytes >= 0x80 that are not UTF-8', raw: buildRequest('GET', '/b', [HOST, ['X-Test', '\xff\xfe\x80 end'], UA]), notUtf8: true },
  { name: 'DEL in a value', raw: buildRequest('GET', '/d', [HOST, ['X-Test', 'a\x7fb'], UA]), refusedByNode: true },
  { name: 'basic auth', raw: buildRequest('GET', '/a', [HOST, ['Authorization', basic('alice:s3cret')], UA]) },
  { name: 'basic auth, odd user', raw: buildRequest('GET', '/a', [HOST, ['Authorization', basic('a"b\\c d:pw')], UA]) },
  { name: 'basic auth, lower case scheme and spaces', raw: buildRequest('GET', '/a', [HOST, ['Authorization', 'basic   ' + Buffer.from('bob:x').toString('base64')], UA]) },
  { name: 'basic auth, no colon', raw: buildRequest('GET', '/a', [HOST, ['Authorization', basic('nocolon')], UA]) },
  { name: 'basic auth, bad base64', raw: buildRequest('GET', '/a', [HOST, ['Authorization', 'Basic !!notbase64'], UA]) },
  { name: 'bearer token', raw: buildRequest('GET', '/a', [HOST, ['Authorization', 'Bearer abc'], UA]) },
  { name: 'cookies', raw: buildRequest('GET', '/c', [HOST, ['Cookie', 'sid=abc123; theme=dark'], UA]) },
  { name: 'cookies over two lines', raw: buildRequest('GET', '/c', [HOST, ['Cookie', 'theme=light'], ['Cookie', 'SID="q\\"x"'], UA]) },
  { name: 'cookie with spaces and commas', raw: buildRequest('GET', '/c', [HOST, ['Cookie', 'x=1, sid = v w ;theme=t'], UA]) },
  { name: 'empty query', raw: buildRequest('GET', '/p?', [HOST, UA]) },
  { name: 'no query, no user agent', raw: buildRequest('GET', '/p', [HOST]) },
  { name: 'dot segments and double slashes', raw: buildRequest('GET', '/a//b/./c/../d?x=1', [HOST, UA]) },
  { name: 'percent-encoding', raw: buildRequest('GET', '/x%20y%41?a=%22q%22&B=%E2%98%95', [HOST, UA]) },
  { name: 'args with repeated and cased names', raw: buildRequest('GET', '/r?A=first&a=second&xb=no&b=yes', [HOST, UA]) },
  { name: 'referer and host with port', raw: buildRequest('GET', '/h', [['Host', 'Shop.Example:8080'], ['Referer', 'https://ref.example/?q="x"'], UA]) },
  { name: 'POST with a body', raw: buildRequest('POST', '/post?a=1', [HOST, UA, ['Content-Type', 'text/plain'], ['Content-Length', '5']], 'hello') },
  { name: 'HTTP/1.0 without Host', raw: buildRequest('GET', '/old', [UA], '', 'HTTP/1.0') },
  { name: 'long value', raw: buildRequest('GET', '/l', [HOST, ['X-Test', 'v'.repeat(3000) + '"']]) }
]

/** Lines of a log file as byte buffers. */
function byteLines (buf: Buffer): Buffer[] {
  const out: Buffer[] = []
  let start = 0
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0a) {
      out.push(buf.subarray(start, i))
      start = i + 1
    }
  }
  return out
}

const COMBINED_RE = /^(\S+) - (.*?) \[[^\]]+\] "(.*)" (\d{3}) (\d+) "(.*)" "(.*)"$/

t.test('nginx log_format lines match nginx byte for byte', { skip: nginxMissing() ?? false }, async t => {
  const nginx = await startNginx({
    plain: { format: DEFAULT_FORMAT },
    json: { format: JSON_FORMAT, escape: 'json' },
    combined_copy: { format: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"' }
  })
  t.teardown(() => nginx.stop())

  const dir = mkdtempSync(join(tmpdir(), 'waf-access-nginx-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, {
    channels: {
      plain: `file://${join(dir, 'plain.log')}`,
      json: `file://${join(dir, 'json.log')}`,
      combined: `file://${join(dir, 'combined.log')}`
    }
  })
  await app.register(wafAccessLog, {
    channel: 'plain',
    formats: { plain: DEFAULT_FORMAT, jsonish: { format: JSON_FORMAT, escape: 'json' } },
    format: 'plain',
    redactHeaders: []
  })
  app.wafLog.addFilter('access', { name: 'json', channel: 'json', writer: 'nginx', format: 'jsonish' })
  app.wafLog.addFilter('access', { name: 'combined', channel: 'combined', writer: 'nginx', format: 'combined' })
  app.all('/*', async () => 'ok\n')
  await app.listen({ host: '127.0.0.1', port: 0 })
  const appPort = (app.server.address() as { port: number }).port

  for (const c of CASES) {
    const n = await rawRequest(nginx.port, c.raw)
    const a = await rawRequest(appPort, c.raw)
    t.equal(n.status, 200, `nginx answers ${c.name}`)
    t.equal(a.status, c.refusedByNode === true ? 400 : 200, `the app answers ${c.name}`)
  }
  await nginx.waitForLines('plain', CASES.length)
  await nginx.waitForLines('json', CASES.length)
  await app.close()

  const theirs = { plain: byteLines(nginx.read('plain')), json: byteLines(nginx.read('json')), combined: byteLines(nginx.read('combined_copy')) }
  const ours = {
    plain: byteLines(readFileSync(join(dir, 'plain.log'))),
    json: byteLines(readFileSync(join(dir, 'json.log'))),
    combined: byteLines(readFileSync(join(dir, 'combined.log')))
  }
  t.equal(ours.plain.length, CASES.length)
  t.equal(ours.json.length, CASES.length)
  t.equal(ours.combined.length, CASES.length)

  CASES.forEach((c, i) => {
    t.equal(ours.plain[i].toString('latin1'), theirs.plain[i].toString('latin1'), `escape=default: ${c.name}`)
    if (c.notUtf8 === true) {
      // nginx copies the raw bytes; the line here stays valid UTF-8 and keeps each byte as U+0080–U+00FF.
      const line = ours.json[i].toString('utf8')
      t.ok(Buffer.from(line, 'utf8').equals(ours.json[i]), 'our json line is valid UTF-8')
      t.equal(Buffer.from(line, 'latin1').toString('latin1'), theirs.json[i].toString('latin1'), `escape=json: ${c.name}, byte for byte as latin1 text`)
    } else {
      t.equal(ours.json[i].toString('latin1'), theirs.json[i].toString('latin1'), `escape=json: ${c.name}`)
    }
    // combined: everything but the time and the response-dependent fields
    const mine = COMBINED_RE.exec(ours.combined[i].toString('latin1'))
    const ref = COMBINED_RE.exec(theirs.combined[i].toString('latin1'))
    t.ok(mine !== null && ref !== null, `combined parses: ${c.name}`)
    if (mine !== null && ref !== null) {
      t.same([mine[1], mine[2], mine[3], mine[6], mine[7]], [ref[1], ref[2], ref[3], ref[6], ref[7]], `combined: ${c.name}`)
      t.equal(mine[4], c.refusedByNode === true ? '400' : '200')
    }
  })
})
