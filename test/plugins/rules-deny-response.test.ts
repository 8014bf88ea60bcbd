import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { wafSocket } from '../../plugins/socket.js'
import { wafRules } from '../../plugins/rules.js'
import type { WafRulesOptions } from '../../plugins/rules.js'
import { wafServerOptions } from '../../plugins/core.js'
import { rawRequest } from '../helpers/raw-http.js'

/** `denyResponse`: the operator's answer to a deny, over a real socket, with `denyStatus`. */

async function serve (t: Test, opts: WafRulesOptions): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'waf-deny-'))
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: { attack: `file://${dir}/attack.log` } })
  await app.register(wafRules, opts)
  app.get('/', async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await app.close(); rmSync(dir, { recursive: true, force: true }) })
  const addr = app.server.address()
  return typeof addr === 'object' && addr !== null ? addr.port : 0
}

const ATTACK = 'GET /?q=1%27%20or%201=1 HTTP/1.1\r\nHost: h\r\n\r\n'

t.test('the template and content type replace the JSON answer; {id} is the request\'s', async t => {
  const port = await serve(t, { denyStatus: 406, denyResponse: { contentType: 'text/html; charset=utf-8', body: '<p>{status} {reason}: {id}</p>' } })
  const r = await rawRequest(port, ATTACK)
  t.equal(r.status, 406)
  t.match(r.response, /\r\ncontent-type: text\/html; charset=utf-8\r\n/i)
  const id = /<p>406 Not Acceptable: ([A-Za-z0-9_@-]{27})<\/p>$/.exec(r.response)
  t.ok(id, r.response)
  t.equal((await rawRequest(port, 'GET /?q=hello HTTP/1.1\r\nHost: h\r\n\r\n')).status, 200, 'a clean request passes')
})

t.test('without it, the JSON answer', async t => {
  const port = await serve(t, {})
  const r = await rawRequest(port, ATTACK)
  t.equal(r.status, 403)
  t.match(r.response, /\{"statusCode":403,"error":"Forbidden","message":"Request denied by the web application firewall","id":"[^"]+"\}$/)
})

t.test('a bad denyResponse is refused, naming the option', async t => {
  for (const bad of [{ body: 'x' }, { contentType: '', body: 'x' }, { contentType: 'text/plain', body: 3 }, 'text']) {
    const app = Fastify()
    await app.register(wafSocket, { channels: { attack: 'file:///dev/null' } })
    await t.rejects(async () => { await app.register(wafRules, { denyResponse: bad as unknown as WafRulesOptions['denyResponse'] }) }, /waf-rules: option "denyResponse" must be \{ contentType, body \}/)
    await app.close().catch(() => {})
  }
})
