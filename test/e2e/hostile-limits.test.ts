import t from 'tap'
import { buildRequest, rawRequest } from '../helpers/raw-http.js'
import { jsonLines, run, stopCleanly } from '../helpers/hostile.js'
import type { Json } from '../helpers/hostile.js'

/**
 * Attacks placed where the engine stops inspecting (after the 1,000th argument, past 64 KB of one
 * value), through the gateway: denied in block mode (limits fail closed), logged in detect mode,
 * each cut an attack entry.
 */

t.test('limits fail closed in block mode: an attack past the args limit or the value limit is denied; detect mode logs it', async t => {
  const args = Array.from({ length: 1000 }, (_, i) => `a${i}=1`).join('&') + '&q=1%27%20or%201=1--'
  const value = 'q=' + 'x'.repeat(70_000) + '%27%20or%201=1--'
  for (const mode of ['block', 'detect']) {
    const r = await run(t, { WAF_MODE: mode })
    const send = async (body: string): Promise<number> => (await rawRequest(r.gw.port, buildRequest('POST', '/form', [['Host', 'shop.example'],
      ['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', String(body.length)], ['Connection', 'close']], body), { timeoutMs: 10_000 })).status
    t.equal(await send(args), mode === 'block' ? 403 : 200, `${mode}: an attack after 1,000 arguments`)
    t.equal(await send(value), mode === 'block' ? 403 : 200, `${mode}: an attack past 64 KB of one value`)
    await stopCleanly(t, r)
    const attacks = jsonLines(r.log('attack'))
    t.same(attacks.map(a => (a.attacks as Json[]).map(e => e.rule_id)), [['200001'], ['200002']], `${mode}: each cut recorded`)
    t.same(attacks.map(a => a.action), mode === 'block' ? ['deny', 'deny'] : ['log', 'log'])
  }
})
