import t from 'tap'
import type { Test } from 'tap'
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import { buildGateway } from '../../example-app/gateway.js'
import { loadConfig } from '../../example-app/config.js'

interface Seen { url: string | undefined, type: string | undefined, length: string | undefined, body: string }

/** The gateway without waf plugins in front of a real upstream that records what it got. */
async function setup (t: Test, path = ''): Promise<{ gw: string, seen: Seen[] }> {
  const seen: Seen[] = []
  const up = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('latin1')
    req.on('data', (c: string) => { body += c })
    req.on('end', () => {
      seen.push({ url: req.url, type: req.headers['content-type'], length: req.headers['content-length'], body })
      res.end('ok')
    })
  })
  up.listen(0, '127.0.0.1')
  await once(up, 'listening')
  t.teardown(() => { up.close() })
  const upstream = `http://127.0.0.1:${(up.address() as net.AddressInfo).port}${path}`
  const { config } = loadConfig({ WAF_UPSTREAM: upstream, WAF_RATE_LIMIT_MAX: '0' })
  const app = await buildGateway(config, { defaultUpstream: upstream, logger: false, waf: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { gw: `127.0.0.1:${(app.server.address() as net.AddressInfo).port}`, seen }
}

/** One raw request, so that the target goes out exactly as written (fetch would resolve `..`). */
async function raw (hostPort: string, target: string): Promise<number> {
  const [host, port] = hostPort.split(':')
  const s = net.connect(Number(port), host)
  s.write(`GET ${target} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n`)
  let text = ''
  s.setEncoding('latin1')
  for await (const c of s) text += c as string
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
}

t.test('a body goes upstream with its Content-Type as sent, parameters included', async t => {
  const { gw, seen } = await setup(t)
  const form = '--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XyZ--\r\n'
  t.equal((await fetch(`http://${gw}/form`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: form })).status, 200)
  t.same(seen[0], { url: '/form', type: 'multipart/form-data; boundary=XyZ', length: String(form.length), body: form })
  t.equal((await fetch(`http://${gw}/t`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'héllo' })).status, 200)
  t.same(seen[1], { url: '/t', type: 'text/plain; charset=utf-8', length: '6', body: Buffer.from('héllo').toString('latin1') })
  t.equal((await fetch(`http://${gw}/j`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })).status, 200)
  t.same(seen[2], { url: '/j', type: 'application/json', length: '7', body: '{"a":1}' }, 'JSON as its bytes, not re-encoded')
})

t.test('a `..` path segment is refused with 400 and never forwarded; `../` in the query is forwarded', async t => {
  const { gw, seen } = await setup(t)
  t.equal(await raw(gw, '/a/../etc/passwd'), 400)
  t.equal(await raw(gw, '/a/%2e%2e/etc/passwd'), 400)
  t.equal(seen.length, 0, 'the upstream got neither')
  t.equal(await raw(gw, '/search?q=../etc/passwd'), 200)
  t.equal(seen[0].url, '/search?q=../etc/passwd')
})

t.test('an upstream URL with a path: that path in front of every request\'s', async t => {
  const { gw, seen } = await setup(t, '/app/')
  t.equal((await fetch(`http://${gw}/x?q=1`)).status, 200)
  t.equal(seen[0].url, '/app/x?q=1')
})

t.test('the gateway gives its plugins (the rule set\'s load) 120 s to start, not Fastify\'s 10 s', async t => {
  const { config } = loadConfig({ WAF_UPSTREAM: 'http://127.0.0.1:9', WAF_RATE_LIMIT_MAX: '0' })
  const app = await buildGateway(config, { defaultUpstream: 'http://127.0.0.1:9', logger: false, waf: false })
  t.teardown(() => app.close())
  t.equal(app.initialConfig.pluginTimeout, 120_000)
})

t.test('the forwarding handler returns nothing, so Fastify puts no end-of-stream listeners on the response', async t => {
  // A handler that returns the reply (a thenable) has Fastify call `reply.then`, which waits on the
  // response through `stream.finished`: listeners and closures on every response, for nothing.
  const up = http.createServer((_req, res) => { res.setHeader('content-type', 'text/plain'); res.end('ok') })
  up.listen(0, '127.0.0.1')
  await once(up, 'listening')
  t.teardown(() => { up.close() })
  const upstream = `http://127.0.0.1:${(up.address() as net.AddressInfo).port}`
  const { config } = loadConfig({ WAF_UPSTREAM: upstream, WAF_RATE_LIMIT_MAX: '0' })
  const app = await buildGateway(config, { defaultUpstream: upstream, logger: false, waf: false })
  const counts: Array<[string, number, number]> = []
  const before = new WeakMap<object, number>()
  app.addHook('onRequest', (_request, reply, done) => { before.set(reply.raw, reply.raw.listenerCount('finish')); done() })
  app.addHook('onSend', (request, reply, payload, done) => {
    counts.push([request.url, before.get(reply.raw) ?? -1, reply.raw.listenerCount('finish')])
    done(null, payload)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const gw = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`
  for (const path of ['/a', '/b?x=1']) {
    const res = await fetch(`${gw}${path}`)
    t.equal(res.status, 200)
    t.equal(await res.text(), 'ok')
  }
  t.equal(counts.length, 2)
  for (const [url, pre, post] of counts) t.equal(post, pre, `${url}: no 'finish' listener added while forwarding`)
})
