import t from 'tap'
import net from 'node:net'
import Fastify from 'fastify'
import { failingRequestBytes, readRefusedRequest, refusedResponse, refusedStatus, TIMEOUT_BODY } from '../../../lib/lifecycle/refused.js'
import type { ParserError } from '../../../lib/lifecycle/refused.js'

const b = (s: string): Buffer => Buffer.from(s, 'latin1')

t.test('failingRequestBytes: the bad request starts after the last blank line before the error', async t => {
  const rows: Array<{ name: string, packet: string | undefined, at: number | undefined, want: string | undefined }> = [
    { name: 'no packet', packet: undefined, at: 10, want: undefined },
    { name: 'no offset: the whole packet', packet: 'GET / HTTP/1.1\r\n\r\n', at: undefined, want: 'GET / HTTP/1.1\r\n\r\n' },
    { name: 'offset below 4: the whole packet', packet: 'BAD\r\n', at: 3, want: 'BAD\r\n' },
    { name: 'one request: the whole packet', packet: 'GET / HTTP/1.1\r\nX\x01: y\r\n\r\n', at: 18, want: 'GET / HTTP/1.1\r\nX\x01: y\r\n\r\n' },
    { name: 'two pipelined, the second bad', packet: 'GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nX\x01: y\r\n\r\n', at: 46, want: 'GET /b HTTP/1.1\r\nX\x01: y\r\n\r\n' },
    { name: 'three pipelined, the third bad', packet: 'GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nBAD /c\r\n\r\n', at: 42, want: 'BAD /c\r\n\r\n' },
    { name: 'blank lines after the offset do not count', packet: 'GET /a HTTP/1.1\r\nX\x01: y\r\n\r\nGET /b HTTP/1.1\r\n\r\n', at: 20, want: 'GET /a HTTP/1.1\r\nX\x01: y\r\n\r\nGET /b HTTP/1.1\r\n\r\n' },
    { name: 'offset past the end', packet: 'GET /a HTTP/1.1\r\n\r\nGET /b', at: 1000, want: 'GET /b' }
  ]
  for (const r of rows) {
    const got = failingRequestBytes(r.packet === undefined ? undefined : b(r.packet), r.at)
    t.equal(got?.toString('latin1'), r.want, r.name)
  }
})

t.test('readRefusedRequest: the line, the host, the target and the head of the failing request', async t => {
  const err = (packet: string | undefined, at?: number): ParserError => Object.assign(new Error('Parse Error'), { code: 'HPE_INVALID_HEADER_TOKEN', rawPacket: packet === undefined ? undefined : b(packet), bytesParsed: at })
  const rows: Array<{ name: string, err: ParserError, requestLine: string | undefined, host: string | undefined, target: string, headed: boolean }> = [
    { name: 'a bad header', err: err('GET /p?q=1 HTTP/1.1\r\nHost: Shop.Example:8443\r\nX\x01: y\r\n\r\n'), requestLine: 'GET /p?q=1 HTTP/1.1', host: 'Shop.Example:8443', target: '/p?q=1', headed: true },
    { name: 'pipelined: the second request', err: err('GET /a HTTP/1.1\r\nHost: a\r\n\r\nPUT /b HTTP/1.1\r\nHost: b\r\nX\x01: y\r\n\r\n', 50), requestLine: 'PUT /b HTTP/1.1', host: 'b', target: '/b', headed: true },
    { name: 'no packet', err: err(undefined), requestLine: undefined, host: undefined, target: '/', headed: false },
    { name: 'no line end: the whole text is the line', err: err('GARBAGE'), requestLine: 'GARBAGE', host: undefined, target: '/', headed: false },
    { name: 'TLS bytes to a plain port', err: err('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'), requestLine: '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', host: undefined, target: '/', headed: false },
    { name: 'empty lines before the request line are skipped', err: err('\r\n\r\nGET /p HTTP/1.1\r\nHost: h\r\nX\x01: y\r\n\r\n'), requestLine: 'GET /p HTTP/1.1', host: 'h', target: '/p', headed: true },
    { name: 'a bare LF before the request line is skipped too', err: err('\nGET /q HTTP/1.1\r\nX\x01: y\r\n\r\n'), requestLine: 'GET /q HTTP/1.1', host: undefined, target: '/q', headed: true },
    { name: 'only empty lines: no request line', err: err('\r\n\r\n'), requestLine: undefined, host: undefined, target: '/', headed: false },
    { name: 'the first line is the request line, even one that reads as a Host header', err: err('Host: a\r\nX\x01: y\r\n\r\n'), requestLine: 'Host: a', host: undefined, target: 'a', headed: false }
  ]
  for (const r of rows) {
    const got = readRefusedRequest(r.err)
    t.equal(got.requestLine, r.requestLine, `${r.name}: request line`)
    t.equal(got.host, r.host, `${r.name}: host`)
    t.equal(got.target, r.target, `${r.name}: target`)
    t.equal(got.head !== undefined, r.headed, `${r.name}: read as a head`)
  }
  t.same(readRefusedRequest(err('GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n')).head, { requestLine: 'GET / HTTP/1.1', rawHeaders: ['Host', 'a', 'X', '1'], complete: true })
})

t.test('refusedStatus: 408 for a head timeout, 431 for headers too large, else 400', async t => {
  const rows: Array<[string | undefined, number]> = [
    ['ERR_HTTP_REQUEST_TIMEOUT', 408], ['HPE_HEADER_OVERFLOW', 431], ['HPE_INVALID_METHOD', 400], ['HPE_INVALID_HEADER_TOKEN', 400], [undefined, 400], ['', 400]
  ]
  for (const [code, status] of rows) t.equal(refusedStatus(code), status, String(code))
})

t.test('refusedResponse: the exact bytes of each answer', async t => {
  t.equal(refusedResponse(400, ''),
    'HTTP/1.1 400 Bad Request\r\nContent-Length: 65\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n' +
    '{"error":"Bad Request","message":"Client Error","statusCode":400}')
  t.equal(refusedResponse(408, 'x-request-id: abc\r\n'),
    'HTTP/1.1 408 Request Timeout\r\nContent-Length: 71\r\nContent-Type: application/json\r\nx-request-id: abc\r\nConnection: close\r\n\r\n' + TIMEOUT_BODY)
  t.equal(refusedResponse(431, 'a: 1\r\nb: 2\r\n'),
    'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 114\r\nContent-Type: application/json\r\na: 1\r\nb: 2\r\nConnection: close\r\n\r\n' +
    '{"error":"Request Header Fields Too Large","message":"Exceeded maximum allowed HTTP header size","statusCode":431}')
  for (const status of [400, 408, 431]) {
    const res = refusedResponse(status, '')
    const body = res.slice(res.indexOf('\r\n\r\n') + 4)
    t.equal(Number(/Content-Length: (\d+)/.exec(res)?.[1]), Buffer.byteLength(body), `${status}: Content-Length is the body's length`)
    t.equal(JSON.parse(body).statusCode, status)
  }
})

/** What a server answers to `bytes` on a fresh loopback connection, until it closes. */
async function answer (port: number, bytes: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const sock = net.connect(port, '127.0.0.1', () => sock.end(b(bytes)))
    sock.setTimeout(5000, () => sock.destroy(new Error('no answer within 5 s')))
    sock.on('data', d => chunks.push(d))
    sock.on('error', reject)
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
  })
}

t.test('the 400 and 431 are Fastify\'s own default answers, with Connection: close', async t => {
  const app = Fastify()
  app.get('/', async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => await app.close())
  const port = (app.server.address() as net.AddressInfo).port
  const withClose = (s: string): string => s.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')
  t.equal(refusedResponse(400, ''), withClose(await answer(port, 'GET / HTTP/1.1\r\nHost: a\r\nX\x01: y\r\n\r\n')), '400 for a bad header byte')
  t.equal(refusedResponse(400, ''), withClose(await answer(port, 'G@T / HTTP/1.1\r\nHost: a\r\n\r\n')), '400 for a bad method')
  t.equal(refusedResponse(431, ''), withClose(await answer(port, 'GET / HTTP/1.1\r\nHost: a\r\nX-Big: ' + 'a'.repeat(20000) + '\r\n\r\n')), '431 for headers too large')
})
