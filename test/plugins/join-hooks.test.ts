import t from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { waf, wafServerOptions, wafSocket, wafForensic, wafAccessLog, wafHeartbeat } from '../../plugins/index.js'

/**
 * How the waf plugins join requests: the umbrella adds one onRequest hook for all its plugins
 * (Fastify dispatches each hook of a chain separately), a plugin registered on its own adds its
 * own, and either way every plugin joins, in registration order, and a plugin that answers stops
 * the plugins after it.
 */

const DEVNULL = 'file:///dev/null'
const CHANNELS = { forensic: DEVNULL, access: DEVNULL, heart: DEVNULL, attack: DEVNULL }

function onRequestHooks (app: FastifyInstance): string[] {
  const printed = app.printRoutes({ includeHooks: true, commonPrefix: false })
  const line = printed.split('\n').find(l => l.includes('(onRequest)')) ?? ''
  return JSON.parse(line.slice(line.indexOf('['))) as string[]
}

t.test('the umbrella joins every plugin from one onRequest hook', async t => {
  const app = Fastify({ ...wafServerOptions() })
  await app.register(waf, { transport: { channels: CHANNELS } })
  app.get('/', async request => request.waf?.enabled ?? 'no waf context')
  await app.ready()
  t.teardown(() => app.close())
  t.same(onRequestHooks(app), ['wafJoinAll()'])
  const res = await app.inject('/')
  t.same(res.json(), { forensic: true, rules: true, access: true, attack: true, heartbeat: true })
})

t.test('plugins registered on their own add a hook each, and join the same', async t => {
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: CHANNELS })
  await app.register(wafForensic)
  await app.register(wafAccessLog)
  await app.register(wafHeartbeat)
  app.get('/', async request => request.waf?.enabled ?? 'no waf context')
  await app.ready()
  t.teardown(() => app.close())
  t.same(onRequestHooks(app), ['wafJoin()', 'wafJoin()', 'wafJoin()'])
  const res = await app.inject('/')
  t.same(res.json(), { forensic: true, rules: false, access: true, attack: false, heartbeat: true })
})

t.test('in the umbrella\'s hook, a plugin that answers stops the plugins after it', async t => {
  // The forensic log answers 503 when its "+" line cannot be written (onWriteFailure 'reject'):
  // a closed channel makes every write fail. The heartbeat comes after it: it must not count the
  // refused request, while it counts one that went through.
  const app = Fastify({ ...wafServerOptions() })
  await app.register(waf, { transport: { channels: CHANNELS }, forensic: { onWriteFailure: 'reject' } })
  let handled = 0
  app.get('/', async () => { handled++; return 'ok' })
  await app.ready()
  t.teardown(() => app.close())
  t.equal((await app.inject({ url: '/', headers: { host: 'before.example' } })).statusCode, 200)
  await app.wafTransport.channel('forensic').close()
  const res = await app.inject({ url: '/', headers: { host: 'after.example' } })
  t.equal(res.statusCode, 503)
  t.equal(handled, 1, 'the handler did not run for the refused request')
  const domains = Object.keys(app.wafHeartbeat.snapshot().domains)
  t.same(domains, ['before.example'], 'the heartbeat joined the first request only')
})
