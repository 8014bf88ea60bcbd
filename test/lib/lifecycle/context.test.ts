import t from 'tap'
import type { IncomingMessage } from 'node:http'
import { ContextFactory, DEFAULT_POLICY, createContext, domainOf } from '../../../lib/lifecycle/context.js'
import { isUniqueId, decodeUniqueId } from '../../../lib/lifecycle/unique-id.js'

function req (headers: Record<string, string>): IncomingMessage {
  return { headers, url: '/', method: 'GET' } as unknown as IncomingMessage
}

t.test('domainOf: the Host without its port, lowercased', async t => {
  t.equal(domainOf('Shop.Example:8080'), 'shop.example')
  t.equal(domainOf('shop.example'), 'shop.example')
  t.equal(domainOf('[::1]:3000'), '[::1]')
  t.equal(domainOf('[2001:DB8::1]'), '[2001:db8::1]')
  t.equal(domainOf('127.0.0.1:80'), '127.0.0.1')
  t.equal(domainOf(''), '')
  t.equal(domainOf(undefined), '')
  const s = 'already.lower'
  t.equal(domainOf(s), s)
})

t.test('a context has an id, clocks, the domain, a policy and every switch off', async t => {
  const f = new ContextFactory()
  const before = Date.now()
  const ctx = f.create(req({ host: 'A.Example:1' }))
  t.ok(isUniqueId(ctx.id))
  t.equal(decodeUniqueId(ctx.id).time, Math.floor(ctx.startedAt / 1000))
  t.ok(ctx.startedAt >= before && ctx.startedAt <= Date.now())
  t.type(ctx.startedHr, 'number')
  t.match(ctx, {
    domain: 'a.example',
    policy: DEFAULT_POLICY,
    attacks: [],
    action: 'pass',
    bot: false,
    cc: false,
    upstream: undefined,
    bytesIn: 0,
    bytesOut: 0,
    wafMs: 0,
    enabled: { forensic: false, rules: false, access: false, attack: false, heartbeat: false }
  })
  t.not(f.create(req({})).id, ctx.id, 'every context gets its own id')
  t.equal(f.create(req({}), 1763764800123).startedAt, 1763764800123)
})

t.test('policies by domain: case-insensitive, merged over the default', async t => {
  const f = new ContextFactory()
  f.policies.set({ 'Shop.Example': { mode: 'detect' }, 'off.example': { mode: 'off', rules: false } })
  t.same(f.create(req({ host: 'shop.example:443' })).policy, { mode: 'detect', rules: true })
  t.same(f.create(req({ host: 'OFF.example' })).policy, { mode: 'off', rules: false })
  t.same(f.create(req({ host: 'other.example' })).policy, DEFAULT_POLICY)
  f.policies.set(undefined)
  t.same(f.create(req({ host: 'shop.example' })).policy, DEFAULT_POLICY, 'cleared')
})

t.test('a policy function sees the domain and the request; undefined falls back to the default', async t => {
  const f = new ContextFactory()
  const calls: string[] = []
  f.policies.set((domain, r) => {
    calls.push(`${domain} ${String(r.headers['x-tier'])}`)
    return r.headers['x-tier'] === 'low' ? { mode: 'detect', rules: true } : undefined
  })
  t.same(f.create(req({ host: 'a.example', 'x-tier': 'low' })).policy, { mode: 'detect', rules: true })
  t.same(f.create(req({ host: 'b.example' })).policy, DEFAULT_POLICY)
  t.same(calls, ['a.example low', 'b.example undefined'])
  // Requests the HTTP parser refused have no request object: the function is not consulted.
  t.same(f.createFor('a.example', undefined).policy, DEFAULT_POLICY)
  t.equal(calls.length, 2)
})

t.test('createFor builds a context from a Host value alone', async t => {
  const f = new ContextFactory()
  f.policies.set({ 'x.example': { mode: 'detect' } })
  const ctx = f.createFor('X.example:81', undefined)
  t.equal(ctx.domain, 'x.example')
  t.equal(ctx.policy.mode, 'detect')
  t.equal(f.createFor(undefined, undefined).domain, '')
})

t.test('the default policy can be changed per factory; DEFAULT_POLICY stays frozen', async t => {
  const f = new ContextFactory()
  f.policies.setDefault({ mode: 'detect', rules: true })
  t.equal(f.create(req({})).policy.mode, 'detect')
  t.ok(Object.isFrozen(DEFAULT_POLICY))
  t.equal(new ContextFactory().create(req({})).policy.mode, 'block')
})

t.test('createContext works outside an app', async t => {
  const ctx = createContext(req({ host: 'tool.example' }))
  t.equal(ctx.domain, 'tool.example')
  t.ok(isUniqueId(ctx.id))
})
