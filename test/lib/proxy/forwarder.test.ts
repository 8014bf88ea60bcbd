import t from 'tap'
import type { Test } from 'tap'
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import { Forwarder, undiciErrorStatus } from '../../../lib/proxy/forwarder.js'
import type { ForwarderOptions, UpstreamRequest, UpstreamResponse } from '../../../lib/proxy/forwarder.js'

const OPTIONS: ForwarderOptions = { connections: 4, pipelining: 1, keepAliveTimeout: 10_000 }

async function upstream (t: Test, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => { server.closeAllConnections(); await new Promise(resolve => server.close(resolve)) })
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`
}

function forwarder (t: Test, origin: string | undefined, opts: Partial<ForwarderOptions> = {}): Forwarder {
  const f = new Forwarder(origin, { ...OPTIONS, ...opts })
  t.teardown(async () => { await f.close() })
  return f
}

async function call (f: Forwarder, req: UpstreamRequest): Promise<UpstreamResponse> {
  return await new Promise((resolve, reject) => { f.forward(req, { onResponse: resolve, onError: reject }) })
}

async function text (res: UpstreamResponse): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of res.body) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString()
}

t.test('a request goes upstream as given; the answer comes back with its fields and body', async t => {
  let seen: { method?: string, url?: string, headers: http.IncomingHttpHeaders, body: string } | undefined
  const url = await upstream(t, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      seen = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }
      res.writeHead(201, [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['Connection', 'X-Hop'], ['X-Hop', '1'], ['Content-Type', 'text/plain']])
      res.end('made')
    })
  })
  const f = forwarder(t, url)
  t.equal(f.origin, url)
  const res = await call(f, { method: 'POST', path: '/items?x=1', headers: { host: 'up.example', 'content-length': '5', 'x-request-id': 'id1' }, body: Buffer.from('hello') })
  t.equal(res.statusCode, 201)
  t.same(res.headers['set-cookie'], ['a=1', 'b=2'])
  t.equal(res.headers['content-type'], 'text/plain')
  t.equal(res.headers['x-hop'], undefined, 'a field the upstream\'s Connection names stays on its connection')
  t.equal(res.headers.connection, undefined)
  t.equal(await text(res), 'made')
  t.match(seen, { method: 'POST', url: '/items?x=1', body: 'hello', headers: { host: 'up.example', 'content-length': '5', 'x-request-id': 'id1' } })
})

t.test('an Agent forwarder sends each request to the origin it names; 1xx answers are skipped', async t => {
  const a = await upstream(t, (_req, res) => { res.writeEarlyHints({ link: '</a.css>; rel=preload' }); res.end('a') })
  const b = await upstream(t, (_req, res) => { res.end('b') })
  const f = forwarder(t, undefined)
  t.equal(f.origin, undefined)
  const ra = await call(f, { origin: a, method: 'GET', path: '/', headers: { host: 'x' }, body: null })
  t.equal(ra.statusCode, 200)
  t.equal(await text(ra), 'a')
  t.equal(await text(await call(f, { origin: b, method: 'GET', path: '/', headers: { host: 'x' }, body: null })), 'b')
  t.throws(() => f.forward({ method: 'GET', path: '/', headers: {}, body: null }, { onResponse () {}, onError () {} }), /no origin/)
})

t.test('a body nobody reads pauses the upstream connection instead of piling up in memory', async t => {
  const chunk = Buffer.alloc(64 * 1024, 120)
  let written = 0
  const url = await upstream(t, (_req, res) => {
    const total = 32 << 20
    const more = (): void => {
      while (written < total) {
        written += chunk.length
        if (!res.write(chunk)) { res.once('drain', more); return }
      }
      res.end()
    }
    more()
  })
  const res = await call(forwarder(t, url), { method: 'GET', path: '/big', headers: { host: 'x' }, body: null })
  await new Promise(resolve => setTimeout(resolve, 300))
  t.ok(res.body.readableLength <= 1 << 20, `buffered ${res.body.readableLength} bytes unread`)
  t.ok(written < 32 << 20, `the upstream was held back (${written} bytes written of 32 MiB)`)
  let got = 0
  for await (const c of res.body) got += (c as Buffer).length
  t.equal(got, 32 << 20, 'read on, every byte arrives')
})

t.test('destroying the body before its end aborts the upstream request', async t => {
  let closedEarly: Promise<boolean> | undefined
  const url = await upstream(t, (_req, res) => {
    res.write('first')
    closedEarly = new Promise(resolve => res.once('close', () => resolve(!res.writableFinished)))
  })
  const res = await call(forwarder(t, url), { method: 'GET', path: '/', headers: { host: 'x' }, body: null })
  res.body.once('data', () => res.body.destroy())
  t.equal(await closedEarly, true, 'the upstream saw its connection closed before its response ended')
})

t.test('failures: an unreachable upstream is 502, one that does not answer in time 504', async t => {
  const s = net.createServer()
  s.listen(0, '127.0.0.1')
  await once(s, 'listening')
  const dead = (s.address() as net.AddressInfo).port
  await new Promise(resolve => s.close(resolve))
  const refused = await call(forwarder(t, `http://127.0.0.1:${dead}`), { method: 'GET', path: '/', headers: { host: 'x' }, body: null }).then(() => undefined, (e: Error) => e)
  t.ok(refused instanceof Error)
  t.equal(undiciErrorStatus(refused as Error), 502)
  const slow = await upstream(t, (_req, res) => { setTimeout(() => res.end('late'), 3000).unref() })
  const timedOut = await call(forwarder(t, slow, { headersTimeout: 200 }), { method: 'GET', path: '/', headers: { host: 'x' }, body: null }).then(() => undefined, (e: Error) => e)
  t.equal(undiciErrorStatus(timedOut as Error), 504, String((timedOut as Error & { code?: string }).code))
})

t.test('an upstream that breaks off mid-body errors the body stream', async t => {
  const url = await upstream(t, (req, res) => {
    res.writeHead(200, { 'content-length': '100' })
    res.write('part')
    setTimeout(() => req.socket.destroy(), 50)
  })
  const res = await call(forwarder(t, url), { method: 'GET', path: '/', headers: { host: 'x' }, body: null })
  await t.rejects(text(res))
})

t.test('a body that came whole with its head is handed on as bytes (and as a stream when asked); a later one only streams', async t => {
  const url = await upstream(t, (req, res) => {
    if (req.url === '/whole') { res.writeHead(200, { 'content-length': '5' }); res.end('whole'); return }
    res.writeHead(200, { 'content-length': '8' })
    res.write('1234')
    setTimeout(() => res.end('5678'), 30)
  })
  const f = forwarder(t, url)
  const whole = await call(f, { method: 'GET', path: '/whole', headers: { host: 'x' }, body: null })
  t.equal(whole.bytes?.toString(), 'whole')
  t.equal(await text(whole), 'whole', 'its stream gives the same bytes')
  const later = await call(f, { method: 'GET', path: '/later', headers: { host: 'x' }, body: null })
  t.equal(later.bytes, null)
  t.equal(await text(later), '12345678', 'the chunks read with the head, then the rest')
  const again = await call(f, { method: 'GET', path: '/whole', headers: { host: 'x' }, body: null })
  t.equal(again.bytes?.toString(), 'whole', 'the connection went on to the next request')
})

t.test('a chunked body read in one pass with its head, in any number of chunks, is handed on whole and in order', async t => {
  // A raw upstream, so that the head and every chunk go in one write (one read, one parser pass):
  // `/whole/<sizes>` ends the body in that write, `/open/<sizes>` sends its last chunk later.
  const server = net.createServer(socket => {
    let buffered = ''
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('latin1')
      let end: number
      while ((end = buffered.indexOf('\r\n\r\n')) !== -1) {
        const target = buffered.slice(0, end).split(' ')[1]
        buffered = buffered.slice(end + 4)
        const [, kind, list] = target.split('/')
        const sizes = list === '' ? [] : list.split(',').map(Number)
        const chunks = sizes.map((n, i) => String.fromCharCode(97 + i).repeat(n))
        const framed = chunks.map(c => `${c.length.toString(16)}\r\n${c}\r\n`).join('')
        const head = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n'
        if (kind === 'whole') socket.write(head + framed + '0\r\n\r\n')
        else {
          socket.write(head + framed)
          setTimeout(() => socket.write('4\r\nlast\r\n0\r\n\r\n'), 20)
        }
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => { await new Promise(resolve => server.close(resolve)) })
  const f = forwarder(t, `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`)
  let seed = 7
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
  for (let k = 0; k < 40; k++) {
    const sizes = Array.from({ length: rand(6) }, () => 1 + rand(300))
    const expected = sizes.map((n, i) => String.fromCharCode(97 + i).repeat(n)).join('')
    const whole = await call(f, { method: 'GET', path: `/whole/${sizes.join(',')}`, headers: { host: 'x' }, body: null })
    t.equal(whole.bytes?.toString(), expected, `whole, chunks of ${sizes.join(',') || 'none'}`)
    t.equal(await text(whole), expected)
    const open = await call(f, { method: 'GET', path: `/open/${sizes.join(',')}`, headers: { host: 'x' }, body: null })
    t.equal(open.bytes, null)
    t.equal(await text(open), expected + 'last', `streamed, chunks of ${sizes.join(',') || 'none'} then one more`)
  }
})
