import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { wafSocket } from '../../plugins/socket.js'
import { wafRules } from '../../plugins/rules.js'
import type { WafRulesOptions } from '../../plugins/rules.js'
import { wafServerOptions } from '../../plugins/core.js'
import { wafAttackLog } from '../../plugins/attack-log.js'
import type { AttackRecord } from '../../plugins/attack-log.js'
import { buildRequest, rawRequest } from '../helpers/raw-http.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Bodies the framework does not hand over parsed still reach the body phase, over real HTTP:
 * a GET's body (Fastify reads none), a body Fastify's JSON parser refuses (400), a request
 * Fastify answers before routing (a malformed URL), and REQUEST_BODY is the body as sent.
 */
const RULES = `
- id: 1001
  msg: body text
  phase: 2
  targets: [REQUEST_BODY]
  operator: contains
  pattern: "evil"
  action: deny
- id: 1002
  msg: argument
  phase: 2
  targets: [ARGS_POST]
  operator: contains
  pattern: "evil"
  action: deny
- id: 1003
  msg: raw JSON spacing
  phase: 2
  targets: [REQUEST_BODY]
  operator: contains
  pattern: '"k" :  "v"'
  action: log
- id: 1004
  msg: decoded path, body phase
  phase: 2
  targets: [REQUEST_URI_RAW]
  transforms: [urlDecodeUni]
  operator: contains
  pattern: "\\xff"
  action: log
`

async function build (t: Test, opts: WafRulesOptions): Promise<{ app: FastifyInstance, port: number, records: AttackRecord[], handled: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'waf-bodies-'))
  writeFileSync(join(dir, 'rules.yaml'), RULES)
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: { attack: `file://${dir}/attack.log` } })
  await app.register(wafRules, { defaultRules: false, rules: `${dir}/rules.yaml`, ...opts })
  await app.register(wafAttackLog)
  const records: AttackRecord[] = []
  const handled: string[] = []
  app.wafLog.onWrite('attack', rec => { records.push(rec as unknown as AttackRecord) })
  app.all('/*', async request => {
    handled.push(request.method)
    return 'ok'
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const address = app.server.address()
  return { app, port: typeof address === 'object' && address !== null ? address.port : 0, records, handled }
}

/** The rule ids of the attack lines written so far, once the pending lines are out. */
async function ids (records: AttackRecord[]): Promise<string[][]> {
  await new Promise(resolve => setTimeout(resolve, 50))
  return records.map(r => r.attacks.map(a => a.rule_id))
}

t.test('a GET body is read and checked (Fastify reads none); the handler runs after it', async t => {
  const { port, records, handled } = await build(t, { mode: 'block' })
  const body = 'q=evil'
  const r = await rawRequest(port, buildRequest('GET', '/x', [['Host', 'a'], ['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', String(body.length)]], body))
  t.equal(r.status, 403, 'denied in block mode, on the body')
  t.same(await ids(records), [['1001']], 'the first deny ends the check')
  t.same(handled, [], 'the handler never ran')

  const clean = 'q=fine'
  const ok = await rawRequest(port, buildRequest('GET', '/x', [['Host', 'a'], ['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', String(clean.length)]], clean))
  t.equal(ok.status, 200)
  t.same(handled, ['GET'])
})

t.test('a GET body past limits.bodyBytes is cut (and said so), not kept; the request still completes', async t => {
  const { port, records } = await build(t, { mode: 'detect', limits: { bodyBytes: 1000 } })
  const body = 'x'.repeat(200_000) + 'evil'
  const r = await rawRequest(port, buildRequest('GET', '/x', [['Host', 'a'], ['Content-Length', String(body.length)]], body))
  t.equal(r.status, 200)
  const seen = await ids(records)
  t.same(seen, [['200003']], 'the body cut is logged; the text past the limit was not inspected')
})

t.test('a JSON body Fastify refuses (400, __proto__) is still checked on its bytes', async t => {
  const { port, records, handled } = await build(t, { mode: 'detect' })
  const body = '{"a":{"__proto__":{"x":"evil"}}}'
  const r = await rawRequest(port, buildRequest('POST', '/x', [['Host', 'a'], ['Content-Type', 'application/json'], ['Content-Length', String(body.length)]], body))
  t.equal(r.status, 400, 'Fastify\'s own answer')
  t.same(await ids(records), [['1001', '1002']], 'REQUEST_BODY and the flattened arguments (a.__proto__.x)')
  t.same(handled, [])
})

t.test('REQUEST_BODY of a parsed JSON body is the body as sent', async t => {
  const { port, records } = await build(t, { mode: 'detect' })
  const body = '{"k" :  "v"}'
  const r = await rawRequest(port, buildRequest('POST', '/x', [['Host', 'a'], ['Content-Type', 'application/json'], ['Content-Length', String(body.length)]], body))
  t.equal(r.status, 200)
  t.same(await ids(records), [['1003']], 'the spacing of the original text, which re-serializing would lose')
})

t.test('a request Fastify answers before routing (malformed URL) gets the body phase too', async t => {
  const { port, records } = await build(t, { mode: 'detect' })
  const r = await rawRequest(port, buildRequest('GET', '/i%FFndex.html', [['Host', 'a']]))
  t.equal(r.status, 400, 'the router refuses the path')
  t.same(await ids(records), [['1004']])
})

t.test('limits fail closed in block mode: a body cut by bodyBytes is denied and recorded, though no rule reads REQUEST_BODY', async t => {
  // Without the REQUEST_BODY rules (1001, 1003) nothing reads the raw body.
  const exclusions = [{ ruleId: 1001 }, { ruleId: 1003 }]
  const block = await build(t, { mode: 'block', limits: { bodyBytes: 100 }, exclusions })
  const long = 'a=' + 'x'.repeat(200)
  for (const [type, body] of [['application/x-www-form-urlencoded', long], ['application/json', JSON.stringify({ a: 'x'.repeat(200) })], ['text/plain', long]]) {
    const r = await rawRequest(block.port, buildRequest('POST', '/x', [['Host', 'a'], ['Content-Type', type], ['Content-Length', String(body.length)]], body))
    t.equal(r.status, 403, `${type}: denied`)
  }
  t.same(await ids(block.records), [['200003'], ['200003'], ['200003']], 'each cut is an attack entry')
  t.same(block.handled, [], 'no handler ran')
  t.equal(block.records[0].attacks[0].action, 'deny')

  const logOnly = await build(t, { mode: 'block', limits: { bodyBytes: 100, action: 'log' }, exclusions })
  const r = await rawRequest(logOnly.port, buildRequest('POST', '/x', [['Host', 'a'], ['Content-Type', 'text/plain'], ['Content-Length', String(long.length)]], long))
  t.equal(r.status, 200, 'limits.action: log lets it through')
  t.same(await ids(logOnly.records), [['200003']], 'and still records the cut')
})
