import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { build } from '../../bench/servers/floor.js'

/**
 * The benchmark's floor row must forward as a proxy does, or its figure is no floor: the same
 * status, fields and body as the upstream sent, hop-by-hop fields dropped both ways, a request
 * body passed on, and a body longer than what it holds streamed whole.
 */
interface Seen { method: string, url: string, headers: http.IncomingHttpHeaders, body: string }

async function upstream (): Promise<{ url: string, seen: Seen[], close: () => Promise<void> }> {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() })
      const size = /size=(\d+)/.exec(req.url ?? '')
      const body = size === null ? 'hello' : 'x'.repeat(Number(size[1]))
      res.writeHead(201, { 'content-type': 'text/plain', 'x-up': 'a', 'keep-alive': 'timeout=7', 'set-cookie': ['a=1', 'b=2'] })
      res.end(body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: async () => { server.closeAllConnections(); await new Promise(resolve => server.close(resolve)) } }
}

async function send (port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number, raw: string[], body: string }> {
  return await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, raw: res.rawHeaders, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

t.test('the floor forwards status, fields and body, hop-by-hop dropped both ways', async t => {
  const up = await upstream()
  const floor = await build({ upstream: up.url })
  await floor.listen({ port: 0, host: '127.0.0.1' })
  const port = (floor.server.address() as AddressInfo).port
  t.teardown(async () => { await floor.close(); await up.close() })

  const small = await send(port, 'GET', '/p?q=1', { 'x-request-id': 'id1', 'keep-alive': 'timeout=1', connection: 'keep-alive' })
  t.equal(small.status, 201)
  t.equal(small.body, 'hello')
  const names = small.raw.filter((_, i) => i % 2 === 0).map(n => n.toLowerCase())
  t.same(names.filter(n => n.startsWith('x-') || n === 'set-cookie' || n === 'content-type'), ['content-type', 'x-up', 'set-cookie', 'set-cookie'])
  t.notOk(small.raw.includes('timeout=7'), 'the upstream\'s Keep-Alive is not passed on (Node writes its own)')
  const seen = up.seen[0]
  t.equal(seen.url, '/p?q=1')
  t.equal(seen.headers['x-request-id'], 'id1')
  t.equal(seen.headers['keep-alive'], undefined)
  t.equal(seen.headers.host, new URL(up.url).host)

  const posted = await send(port, 'POST', '/form', { 'content-type': 'text/plain' }, 'a body')
  t.equal(posted.status, 201)
  t.equal(up.seen[1].body, 'a body')

  for (const size of [65_536, 65_537, 300_000]) {
    const big = await send(port, 'GET', `/big?size=${size}`, {})
    t.equal(big.body.length, size, `a body of ${size} bytes arrives whole`)
  }
})
