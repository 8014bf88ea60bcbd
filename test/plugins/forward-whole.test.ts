import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import { gzipSync } from 'node:zlib'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { wafSocket } from '../../plugins/socket.js'
import { wafRules } from '../../plugins/rules.js'
import { wafAttackLog } from '../../plugins/attack-log.js'
import { wafHeartbeat } from '../../plugins/heartbeat.js'
import { wafAccessLog } from '../../plugins/access-log.js'
import { wafForward } from '../../plugins/forward.js'
import { Forwarder } from '../../lib/proxy/forwarder.js'

/**
 * wafForward's `wholeBodies` shortcut (a body that came whole with the upstream's head is sent as
 * bytes, not piped as a stream) against the same gateway with it off, over a corpus of upstream
 * answers: what the client receives byte for byte (status line, every header but Date, body), the
 * response rules' attack records and the access records must not differ, in block and detect mode.
 */

const here = dirname(fileURLToPath(import.meta.url))
const RULES = join(here, '../fixtures/response-rules.yaml')
const SQL_ERROR = 'You have an error in your SQL syntax; check the manual'
const BIG = SQL_ERROR + 'x'.repeat(300_000)

type Answer = (res: http.ServerResponse) => void
const fixed = (status: number, headers: http.OutgoingHttpHeaders, body: string | Buffer): Answer => res => { res.writeHead(status, headers); res.end(body) }
const CORPUS: Record<string, Answer> = {
  '/json': fixed(200, { 'content-type': 'application/json', 'content-length': 11 }, '{"ok":true}'),
  '/leak': fixed(500, { 'content-type': 'text/html', 'content-length': SQL_ERROR.length }, SQL_ERROR),
  '/no-type': fixed(200, { 'content-length': 5 }, 'plain'),
  '/empty': fixed(302, { location: '/json', 'content-type': 'text/plain', 'content-length': 0 }, ''),
  '/no-content': fixed(204, {}, ''),
  '/gzip-leak': fixed(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': gzipSync(SQL_ERROR).length }, gzipSync(SQL_ERROR)),
  '/cookies': res => { res.writeHead(200, [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['Content-Type', 'text/plain'], ['Content-Length', '2']]); res.end('ok') },
  '/chunked': res => { res.writeHead(200, { 'content-type': 'text/plain' }); res.write('part one, '); setTimeout(() => res.end(SQL_ERROR), 20) },
  '/big-leak': fixed(200, { 'content-type': 'text/plain', 'content-length': BIG.length }, BIG),
  '/slow-body': res => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 8 }); res.write('1234'); setTimeout(() => res.end('5678'), 20) }
}

async function startUpstream (t: Test): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => { (CORPUS[(req.url ?? '/').split('?')[0]] ?? fixed(404, { 'content-type': 'text/plain', 'content-length': 2 }, 'no'))(res) })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => { server.closeAllConnections(); await new Promise(resolve => server.close(resolve)) })
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`
}

interface Seen { payloads: string[], attacks: unknown[], access: unknown[] }

async function gateway (t: Test, upstream: string, mode: 'block' | 'detect', wholeBodies: boolean): Promise<{ port: number, seen: Seen }> {
  const app = Fastify()
  const dir = mkdtempSync(join(tmpdir(), 'waf-whole-'))
  await app.register(wafSocket, { channels: { attack: `file://${dir}/attack.log`, heart: `file://${dir}/heart.log`, access: `file://${dir}/access.log` } })
  await app.register(wafRules, { defaultRules: false, rules: RULES, mode })
  await app.register(wafAttackLog)
  await app.register(wafHeartbeat, { channel: 'heart', interval: 3_600_000 })
  await app.register(wafAccessLog)
  const seen: Seen = { payloads: [], attacks: [], access: [] }
  // What each reply sent, as the response rules' hook (registered before this one) got it.
  app.addHook('onSend', (_request, _reply, payload, done) => { seen.payloads.push(Buffer.isBuffer(payload) ? 'bytes' : typeof payload === 'string' ? 'text' : 'stream'); done(null, payload) })
  // Ids, times and the connection's port differ from one gateway to the other; the rest must not.
  const steady = (rec: object): unknown => JSON.parse(JSON.stringify(rec, (k, v: unknown) =>
    ['id', 'unique_id', 'started_at', 'time', 'timestamp', 'latencies', 'port', 'client_port', 'worker', 'upstream', 'date'].includes(k) ? undefined : v))
  app.wafLog.onWrite('attack', rec => { seen.attacks.push(steady(rec)) })
  app.wafLog.onWrite('access', rec => { seen.access.push(steady(rec)) })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => { done(null, body) })
  const forwarder = new Forwarder(upstream, { connections: 4, pipelining: 1, keepAliveTimeout: 10_000 })
  const forward = wafForward(forwarder, { wholeBodies })
  app.all('/*', (request, reply) => forward(request, reply, request.url))
  app.addHook('onClose', async () => { await forwarder.close() })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { port: (app.server.address() as net.AddressInfo).port, seen }
}

/** The response as it came off the socket: status line and raw header lines (Date left out), body bytes. */
async function exchange (port: number, method: string, path: string): Promise<{ head: string, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { 'accept-encoding': 'identity', host: 'gw.test' } }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const lines: string[] = [`${res.statusCode ?? 0} ${res.statusMessage ?? ''}`]
        for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i].toLowerCase() !== 'date') lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`)
        resolve({ head: lines.join('\n'), body: Buffer.concat(chunks).toString('latin1') })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Lets the logs' departure (on the response's close) run before records are compared. */
const settle = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, 20)) }

for (const mode of ['block', 'detect'] as const) {
  t.test(`${mode} mode: the same response, attack records and access records with whole bodies sent as bytes or streamed`, async t => {
    const upstream = await startUpstream(t)
    const on = await gateway(t, upstream, mode, true)
    const off = await gateway(t, upstream, mode, false)
    for (const path of Object.keys(CORPUS)) {
      for (const method of ['GET', 'HEAD']) {
        const a = await exchange(on.port, method, path)
        const b = await exchange(off.port, method, path)
        t.equal(a.head, b.head, `${method} ${path}: status line and headers`)
        // A deny's body names its request's id, which differs from one gateway to the other.
        const anyId = (body: string): string => body.replace(/"id":"[^"]+"/, '"id":"…"')
        t.equal(anyId(a.body), anyId(b.body), `${method} ${path}: body`)
      }
    }
    await settle()
    t.same(on.seen.attacks, off.seen.attacks, 'attack records')
    t.same(on.seen.access, off.seen.access, 'access records')
    t.equal(on.seen.access.length, Object.keys(CORPUS).length * 2, 'one access record per request')
    t.ok(on.seen.attacks.length >= 2, `the response rules matched (${on.seen.attacks.length} attack records)`)
    t.notOk(off.seen.payloads.includes('bytes'), 'wholeBodies: false streams every body')
    // The shortcut was taken where it applies, and only there.
    const sent = Object.keys(CORPUS).map((path, i) => `${path} ${on.seen.payloads[2 * i]}`)
    // (In block mode the leaks are denied: the deny's text replaces them.)
    for (const path of mode === 'block' ? ['/json', '/empty', '/cookies'] : ['/json', '/leak', '/empty', '/gzip-leak', '/cookies']) {
      t.ok(sent.includes(`${path} bytes`), `${path}: sent as bytes (${sent.join(', ')})`)
    }
    for (const path of mode === 'block' ? ['/no-type', '/slow-body'] : ['/no-type', '/chunked', '/slow-body', '/big-leak']) t.ok(sent.includes(`${path} stream`), `${path}: streamed`)
  })
}

t.test('wholeBodies must be a boolean', async t => {
  const forwarder = new Forwarder('http://127.0.0.1:1', { connections: 1, pipelining: 1, keepAliveTimeout: 1000 })
  t.teardown(async () => { await forwarder.close() })
  t.throws(() => wafForward(forwarder, { wholeBodies: 'yes' as unknown as boolean }), /option "wholeBodies" must be a boolean/)
})
