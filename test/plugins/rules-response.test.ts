import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { request as httpRequest } from 'node:http'
import { Readable } from 'node:stream'
import { gzipSync, deflateSync, deflateRawSync, brotliCompressSync } from 'node:zlib'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { wafSocket } from '../../plugins/socket.js'
import { wafRules } from '../../plugins/rules.js'
import type { WafRulesOptions } from '../../plugins/rules.js'
import { wafAttackLog } from '../../plugins/attack-log.js'
import { wafHeartbeat } from '../../plugins/heartbeat.js'
import { wafAccessLog } from '../../plugins/access-log.js'
import type { AttackRecord } from '../../plugins/attack-log.js'
import type { WafContext } from '../../lib/lifecycle/context.js'

const here = dirname(fileURLToPath(import.meta.url))
const RULES = join(here, '../fixtures/response-rules.yaml')
const SQL_ERROR = 'You have an error in your SQL syntax; check the manual'

interface AccessSeen { response: { status: number }, waf: { action: string, attacks: number } }
interface Seen { ctx: WafContext[], records: AttackRecord[], access: AccessSeen[] }

async function build (t: Test, opts: WafRulesOptions, routes: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance, seen: Seen, port: number }> {
  const app = Fastify()
  const dir = mkdtempSync(join(tmpdir(), 'waf-response-'))
  await app.register(wafSocket, { channels: { attack: `file://${dir}/attack.log`, heart: `file://${dir}/heart.log`, access: `file://${dir}/access.log` } })
  await app.register(wafRules, { defaultRules: false, rules: RULES, ...opts })
  await app.register(wafAttackLog)
  await app.register(wafHeartbeat, { channel: 'heart', interval: 3_600_000 })
  await app.register(wafAccessLog)
  const seen: Seen = { ctx: [], records: [], access: [] }
  app.wafLog.onWrite('attack', rec => { seen.records.push(rec as unknown as AttackRecord) })
  app.wafLog.onWrite('access', rec => { seen.access.push(rec as unknown as AccessSeen) })
  app.addHook('onResponse', async request => { if (request.waf !== null) seen.ctx.push(request.waf) })
  routes(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  t.teardown(async () => {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { app, seen, port }
}

interface Got { status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }

/** One GET over a real socket, the body as received (not decoded). */
function get (port: number, path: string): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { 'accept-encoding': 'identity' } }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** The context of the request that ended last (onResponse runs after the response closed). */
async function settled (seen: Seen, n: number): Promise<void> {
  for (let i = 0; i < 100 && seen.ctx.length < n; i++) await new Promise(resolve => setTimeout(resolve, 10))
}

const ids = (ctx: WafContext): string[] => ctx.attacks.map(a => a.ruleId)

/** A stream of `parts`, one chunk a tick, so it really streams. */
function slowStream (parts: Buffer[]): Readable {
  let i = 0
  return new Readable({
    read () {
      setImmediate(() => { this.push(i < parts.length ? parts[i++] : null) })
    }
  })
}

t.test('each phase-3 variable, with its location and phase in the attack entry (detect mode)', async t => {
  const { app, seen, port } = await build(t, { mode: 'detect' }, app => {
    app.get('/head', async (_req, reply) => {
      void reply.code(418).header('server', 'Apache/2.4.1').header('x-debug-token', 'abc').type('application/x-msdownload')
      return 'x'
    })
    app.get('/big', async (_req, reply) => {
      void reply.type('application/octet-stream')
      return Buffer.alloc(1_000_001, 1)
    })
    app.get('/clean', async () => 'hello')
  })
  const r = await get(port, '/head')
  t.equal(r.status, 418, 'detect mode: the response is what the route sent')
  t.equal(r.body.toString(), 'x')
  await settled(seen, 1)
  const ctx = seen.ctx[0]
  t.same(ids(ctx).sort(), ['190001', '190003', '190004', '190006'])
  t.match(ctx.attacks.find(a => a.ruleId === '190001'), { location: 'RESPONSE_HEADERS:Server', payload: 'Apache/2.4.1', phase: 3, action: 'log', disruptive: 'deny' })
  t.match(ctx.attacks.find(a => a.ruleId === '190003'), { location: 'RESPONSE_STATUS', payload: '418', phase: 3 })
  t.match(ctx.attacks.find(a => a.ruleId === '190004'), { location: 'RESPONSE_HEADERS_NAMES:X-Debug-Token', phase: 3 })
  t.match(ctx.attacks.find(a => a.ruleId === '190006'), { location: 'RESPONSE_CONTENT_TYPE', phase: 3 })
  t.equal(ctx.action, 'log')
  t.equal(seen.records.length, 1, 'one attack record')
  t.match(seen.records[0].attacks.find(a => a.rule_id === '190001'), { phase: 3, location: 'RESPONSE_HEADERS:Server' })

  await get(port, '/big')
  await settled(seen, 2)
  t.same(ids(seen.ctx[1]), ['190007'], 'RESPONSE_CONTENT_LENGTH of a Buffer payload')
  await get(port, '/clean')
  await settled(seen, 3)
  t.same(ids(seen.ctx[2]), [], 'a clean response matches nothing')
  t.match(app.wafHeartbeat.snapshot().domains['127.0.0.1'], { ac: 3, at: 2, ao: 2 }, 'the heartbeat counts outbound attacks')
})

t.test('RESPONSE_PROTOCOL is the request\'s HTTP version', async t => {
  const { seen, port } = await build(t, { mode: 'detect' }, app => { app.get('/', async () => 'ok') })
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/', agent: false }, res => { res.resume(); res.on('end', resolve) })
    req.on('error', reject)
    // Node's client speaks 1.1; a raw 1.0 request shows the variable.
    req.end()
  })
  const net = await import('node:net')
  await new Promise<void>(resolve => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.0\r\nHost: x\r\n\r\n'))
    s.on('data', () => {})
    s.on('close', () => resolve())
  })
  await settled(seen, 2)
  t.same(ids(seen.ctx[0]), [], 'HTTP/1.1: no match')
  t.same(ids(seen.ctx[1]), ['190005'], 'HTTP/1.0 matched')
})

t.test('RESPONSE_BODY from a string, a Buffer and a stream; types not inspected', async t => {
  const { seen, port } = await build(t, { mode: 'detect' }, app => {
    app.get('/string', async () => `<p>${SQL_ERROR}</p>`)
    app.get('/buffer', async (_req, reply) => { void reply.type('text/html'); return Buffer.from(SQL_ERROR) })
    app.get('/stream', async (_req, reply) => {
      void reply.type('text/html')
      return slowStream([Buffer.from('<html>'), Buffer.from(SQL_ERROR.slice(0, 10)), Buffer.from(SQL_ERROR.slice(10)), Buffer.from('</html>')])
    })
    app.get('/image', async (_req, reply) => { void reply.type('image/png'); return Buffer.from(SQL_ERROR) })
    app.get('/json', async () => ({ error: SQL_ERROR }))
  })
  for (const [i, path] of ['/string', '/buffer', '/stream', '/json'].entries()) {
    const r = await get(port, path)
    t.equal(r.status, 200, `${path}: detect mode passes`)
    t.ok(r.body.toString().includes(SQL_ERROR.slice(10)), `${path}: the body arrives whole`)
    await settled(seen, i + 1)
    t.match(seen.ctx[i].attacks, [{ ruleId: '190002', location: 'RESPONSE_BODY', phase: 4, action: 'log', disruptive: 'deny' }], `${path}: matched in RESPONSE_BODY`)
  }
  await get(port, '/image')
  await settled(seen, 5)
  t.same(ids(seen.ctx[4]), [], 'image/png is not among responseBodyTypes: not read')
})

t.test('the limit: a body past it is inspected as far as the limit, the entry says so; a stream is not buffered past it', async t => {
  const limit = 1024
  const { seen, port } = await build(t, { mode: 'detect', limits: { responseBodyBytes: limit } }, app => {
    app.get('/early', async () => SQL_ERROR + 'x'.repeat(5000))
    app.get('/late', async () => 'x'.repeat(5000) + SQL_ERROR)
    app.get('/stream', async (_req, reply) => {
      void reply.type('text/plain')
      return slowStream(Array.from({ length: 64 }, () => Buffer.alloc(1024, 0x61)))
    })
  })
  let r = await get(port, '/early')
  t.equal(r.body.length, SQL_ERROR.length + 5000, 'the client gets the whole body')
  await settled(seen, 1)
  t.same(ids(seen.ctx[0]), ['190002', '200004'], 'matched within the limit, and the cut is logged')
  t.match(seen.ctx[0].attacks[1], { location: 'RESPONSE_BODY', payload: `inspected ${limit} of ${SQL_ERROR.length + 5000} bytes`, action: 'log', phase: 4 })
  await get(port, '/late')
  await settled(seen, 2)
  t.same(ids(seen.ctx[1]), ['200004'], 'past the limit: not seen (ProcessPartial)')
  r = await get(port, '/stream')
  t.equal(r.body.length, 64 * 1024, 'the stream arrives whole')
  await settled(seen, 3)
  t.match(seen.ctx[2].attacks, [{ ruleId: '200004', payload: `inspected ${limit} of more than ${limit} bytes` }])
})

t.test('compressed bodies are decoded for inspection (bounded), unknown encodings counted as not inspected', async t => {
  const body = Buffer.from(`<html>${SQL_ERROR}</html>`)
  const encoded: Record<string, Buffer> = {
    gzip: gzipSync(body),
    deflate: deflateSync(body),
    'deflate-raw': deflateRawSync(body),
    br: brotliCompressSync(body)
  }
  // 64 MiB of zeros, 64 KiB compressed: decoding stops at the limit.
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024))
  const { seen, port } = await build(t, { mode: 'detect', limits: { responseBodyBytes: 4096 } }, app => {
    for (const [name, bytes] of Object.entries(encoded)) {
      app.get(`/${name}`, async (_req, reply) => {
        void reply.type('text/html').header('content-encoding', name === 'deflate-raw' ? 'deflate' : name)
        return bytes
      })
      app.get(`/${name}/stream`, async (_req, reply) => {
        void reply.type('text/html').header('content-encoding', name === 'deflate-raw' ? 'deflate' : name)
        return slowStream([bytes.subarray(0, 7), bytes.subarray(7)])
      })
    }
    app.get('/bomb', async (_req, reply) => { void reply.type('text/html').header('content-encoding', 'gzip'); return bomb })
    app.get('/zstd', async (_req, reply) => { void reply.type('text/html').header('content-encoding', 'zstd'); return body })
  })
  let n = 0
  for (const name of Object.keys(encoded)) {
    for (const path of [`/${name}`, `/${name}/stream`]) {
      const r = await get(port, path)
      t.same(r.body, encoded[name], `${path}: the client gets the encoded bytes unchanged`)
      await settled(seen, ++n)
      t.same(ids(seen.ctx[n - 1]), ['190002'], `${path}: matched after decoding`)
    }
  }
  const r = await get(port, '/bomb')
  t.same(r.body, bomb, 'the bomb is sent as it is')
  await settled(seen, ++n)
  t.match(seen.ctx[n - 1].attacks, [{ ruleId: '200004', payload: 'inspected 4096 of more than 4096 bytes' }], 'decoded as far as the limit')
  await get(port, '/zstd')
  await settled(seen, ++n)
  t.match(seen.ctx[n - 1].attacks, [{ ruleId: '200005', payload: 'content-encoding zstd: inspected 0 bytes', phase: 4 }], 'zstd: counted as not inspected')
})

t.test('block mode: phase-3 and phase-4 denies replace the response; the record says deny', async t => {
  const { seen, port } = await build(t, { mode: 'block' }, app => {
    app.get('/server', async (_req, reply) => { void reply.header('server', 'nginx/1.2'); return 'fine' })
    app.get('/string', async (_req, reply) => { void reply.header('x-secret', '1'); return SQL_ERROR })
    app.get('/stream', async (_req, reply) => {
      void reply.type('text/html')
      return slowStream([Buffer.from('<html>'), Buffer.from(SQL_ERROR), Buffer.from('</html>')])
    })
    app.get('/clean-stream', async (_req, reply) => {
      void reply.type('text/html')
      return slowStream([Buffer.from('<html>'), Buffer.from('x'.repeat(3000)), Buffer.from('</html>')])
    })
    app.get('/sent', (_req, reply) => {
      // The headers go out before the body: a phase-4 deny can only be logged.
      reply.raw.flushHeaders()
      void reply.type('text/html').send(slowStream([Buffer.from(SQL_ERROR)]))
    })
  })
  for (const [i, path] of ['/server', '/string', '/stream'].entries()) {
    const r = await get(port, path)
    t.equal(r.status, 403, `${path}: denied`)
    t.match(r.body.toString(), /Request denied by the web application firewall/)
    t.equal(r.headers['x-secret'], undefined, `${path}: the route's headers are gone`)
    t.equal(r.headers.server, undefined)
    await settled(seen, i + 1)
    t.equal(seen.ctx[i].action, 'deny')
    t.equal(seen.records[i].action, 'deny', 'the attack record says deny')
    for (let k = 0; k < 100 && seen.access.length <= i; k++) await new Promise(resolve => setTimeout(resolve, 10))
    t.match(seen.access[i], { response: { status: 403 }, waf: { action: 'deny' } }, 'the access record says 403 and deny')
  }
  t.match(seen.records[0].attacks, [{ rule_id: '190001', phase: 3 }])
  t.match(seen.records[2].attacks, [{ rule_id: '190002', phase: 4, location: 'RESPONSE_BODY' }])
  const clean = await get(port, '/clean-stream')
  t.equal(clean.status, 200)
  t.equal(clean.body.length, 3013, 'a clean stream held for inspection is replayed whole')
  const sent = await get(port, '/sent')
  t.equal(sent.status, 200, 'headers already sent: the deny cannot replace the response')
  t.equal(sent.body.toString(), SQL_ERROR)
  await settled(seen, 5)
  t.equal(seen.ctx[4].action, 'log', 'the record says it was only logged')
  t.match(seen.ctx[4].attacks, [{ ruleId: '190002', action: 'log', disruptive: 'deny', phase: 4 }], 'the entry says logged, and that the rule would deny')
})

/** Waits for `n` attack records (a request whose client left has no onResponse, but is logged). */
async function recorded (seen: Seen, n: number): Promise<void> {
  for (let i = 0; i < 100 && seen.records.length < n; i++) await new Promise(resolve => setTimeout(resolve, 10))
}

/** Reads the first chunk of the response body, then closes the connection. */
function firstChunkThenLeave (port: number, path: string): Promise<{ status: number, first: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, res => {
      res.once('data', (c: Buffer) => {
        resolve({ status: res.statusCode ?? 0, first: c.toString() })
        req.destroy()
      })
    })
    req.on('error', err => { if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err) })
    req.end()
  })
}

t.test('a client that leaves mid-stream: phase 4 runs on what was read, and a held source is destroyed', async t => {
  const sources: Readable[] = []
  /** A stream that sends the SQL error, then never ends. */
  const hanging = (): Readable => {
    let sent = false
    const s = new Readable({ read () { if (!sent) { sent = true; this.push(Buffer.from(SQL_ERROR)) } } })
    sources.push(s)
    return s
  }
  const detect = await build(t, { mode: 'detect' }, app => {
    app.get('/hang', async (_req, reply) => { void reply.type('text/html'); return hanging() })
  })
  const got = await firstChunkThenLeave(detect.port, '/hang')
  t.equal(got.first, SQL_ERROR, 'detect mode: the chunk reached the client as it came')
  await recorded(detect.seen, 1)
  t.match(detect.seen.records[0]?.attacks, [{ rule_id: '190002', phase: 4, location: 'RESPONSE_BODY' }], 'matched on the bytes read before the client left')

  const block = await build(t, { mode: 'block' }, app => {
    app.get('/hang', async (_req, reply) => { void reply.type('text/html'); return hanging() })
  })
  // Block mode holds a body that has not ended (up to the limit): the client sees nothing and leaves.
  const net = await import('node:net')
  await new Promise<void>(resolve => {
    const s = net.connect(block.port, '127.0.0.1', () => s.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n'))
    setTimeout(() => { s.destroy(); resolve() }, 300)
  })
  await recorded(block.seen, 1)
  t.match(block.seen.records[0]?.attacks, [{ rule_id: '190002', phase: 4 }], 'held bytes inspected when the client left')
  t.ok(sources[1].destroyed, 'the held source is destroyed')
})

t.test('Reject: a body past the limit is denied in block mode', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'waf-reject-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const conf = join(dir, 'r.conf')
  const { writeFileSync } = await import('node:fs')
  writeFileSync(conf, [
    'SecResponseBodyLimit 100',
    'SecResponseBodyLimitAction Reject',
    'SecResponseBodyMimeTypesClear',
    'SecResponseBodyMimeType text/plain',
    'SecRule RESPONSE_BODY "@contains secret" "id:1,phase:4,deny,log"'
  ].join('\n'))
  const { seen, port } = await build(t, { mode: 'block', rules: conf }, app => {
    app.get('/long', async () => 'y'.repeat(200))
    app.get('/short', async () => 'y'.repeat(50))
    app.get('/html', async (_req, reply) => { void reply.type('text/html'); return 'secret' + 'y'.repeat(200) })
  })
  t.equal((await get(port, '/long')).status, 403, 'longer than SecResponseBodyLimit: rejected')
  t.equal((await get(port, '/short')).status, 200)
  t.equal((await get(port, '/html')).status, 200, 'text/html is no longer inspected (types cleared, text/plain only)')
  await settled(seen, 3)
  t.match(seen.ctx[0].attacks, [{ ruleId: '200004', action: 'deny' }])
})

/** The app's onSend hooks (Fastify keeps them under a private symbol). */
function onSendHooks (app: FastifyInstance): number {
  const key = Object.getOwnPropertySymbols(app).find(k => k.description === 'fastify.hooks')
  const hooks = key === undefined ? undefined : (app as unknown as Record<symbol, { onSend?: unknown[] }>)[key]
  if (hooks?.onSend === undefined) throw new Error('cannot read the app\'s hooks')
  return hooks.onSend.length
}

t.test('no response rule: no onSend hook is added; response rules add one', async t => {
  for (const [opts, want] of [[{ defaultRules: true }, 0], [{ defaultRules: false, rules: RULES }, 1]] as const) {
    const app = Fastify()
    await app.register(wafSocket, { channels: {} })
    await app.register(wafRules, opts)
    await app.ready()
    t.equal(onSendHooks(app), want, `${JSON.stringify(opts)}: ${want} onSend hook`)
    await app.close()
  }
})
