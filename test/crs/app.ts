import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { join } from 'node:path'
import '../../lib/rules/seclang/index.js'
import { coreOf, wafServerOptions } from '../../plugins/core.js'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { wafSocket } from '../../plugins/socket.js'
import { reflect } from '../helpers/albedo.js'
import { logLine } from './judge.js'
import type { StageResult } from './judge.js'

/** One attack-log record as the attack channel receives it (DESIGN.md "attack"). */
interface AttackRecord {
  id: string
  attacks: Array<{ rule_id: string, msg: string, payload: string, logdata?: string, severity: string, location: string, tags?: string[] }>
}

export interface CrsApp {
  app: FastifyInstance
  port: number
  /** Waits until request `id` has ended (its attack line written, if any) and returns its entries. */
  outcome (id: string | undefined, timeoutMs: number): Promise<Pick<StageResult, 'ids' | 'logLines'>>
  close (): Promise<void>
}

/**
 * The app the CRS tests run against, as a user would set it up: waf-socket with the attack
 * channel in a file, waf-rules with the CRS in detect mode, waf-attack-log, and a catch-all
 * route answering 200 (the albedo backend of the CRS test setup). Each response carries the
 * request's id in `x-waf-id`, so that a test finds its own line in the attack log.
 */
/** The rules and attack-log plugins, when this tree has them (they are another issue's work). */
export function pluginsPresent (): string | undefined {
  for (const name of ['rules', 'attack-log']) {
    const url = new URL(`../../plugins/${name}.js`, import.meta.url)
    const path = fileURLToPath(url)
    if (!existsSync(path) && !existsSync(path.replace(/\.js$/, '.ts'))) return `plugins/${name}.ts`
  }
  return undefined
}

interface PluginModule { [name: string]: Parameters<FastifyInstance['register']>[0] }

export async function buildCrsApp (dir: string, rules: string[]): Promise<CrsApp> {
  const { wafRules } = await import(new URL('../../plugins/rules.js', import.meta.url).href) as PluginModule
  const { wafAttackLog } = await import(new URL('../../plugins/attack-log.js', import.meta.url).href) as PluginModule
  const server = wafServerOptions()
  const app = Fastify({
    ...server,
    bodyLimit: 4 * 1024 * 1024,
    // The CRS's load can pass Fastify's default 10 s on a loaded 2-core CI machine (as the gateway's did).
    pluginTimeout: 120_000,
    // Requests Fastify answers before routing (a malformed URL) run no app hook: the id goes on
    // their response here, from the context the waf plugins will use.
    frameworkErrors (err, request, reply) {
      void reply.header('x-waf-id', coreOf(app).context(request).id)
      server.frameworkErrors?.call(app, err, request, reply)
    }
  })
  await app.register(wafSocket, { channels: { attack: `file://${join(dir, 'attack.log')}` } })
  await app.register(wafRules as never, { rules, defaultRules: false, mode: 'detect' })
  await app.register(wafAttackLog as never)
  const outcome = recordOutcomes(app)
  if (!app.hasContentTypeParser('*')) {
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => { done(null, body) })
  }
  // The CRS test backend's reflect endpoint (go-ftw's albedo), for the response rules' tests.
  app.post('/reflect', async (request, reply) => {
    const body = request.body
    const r = reflect(Buffer.isBuffer(body) ? body : typeof body === 'string' ? body : JSON.stringify(body ?? null))
    if (r === undefined) return reply.code(400).type('text/plain; charset=utf-8').send('Invalid JSON in request body')
    return reply.code(r.status).headers(r.headers).send(r.body)
  })
  app.all('/*', async () => 'ok')
  app.all('/', async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { app, port, outcome, close: async () => { await app.close() } }
}

/**
 * Records what the CRS runner needs of each request of an app with waf-attack-log: its attack
 * entries, and when it ended. Each response carries the request's id in `x-waf-id`, so that a
 * test finds its own line in the attack log. Register after the waf plugins.
 */
export function recordOutcomes (app: FastifyInstance): CrsApp['outcome'] {
  const records = new Map<string, AttackRecord>()
  const ended = new Set<string>()
  const waiting = new Map<string, () => void>()
  app.wafLog.onWrite('attack', rec => {
    const r = rec as unknown as AttackRecord
    records.set(r.id, r)
  })
  // onSend, not onRequest: requests Fastify answers before routing (a malformed URL) carry it too.
  app.addHook('onSend', async (request, reply) => {
    if (request.waf != null) void reply.header('x-waf-id', request.waf.id)
  })
  // Registered after the waf plugins, so it runs after their onResponse work (the attack line).
  app.addHook('onResponse', async request => {
    const id = request.waf?.id
    if (id === undefined) return
    ended.add(id)
    waiting.get(id)?.()
  })
  return async (id: string | undefined, timeoutMs: number): Promise<Pick<StageResult, 'ids' | 'logLines'>> => {
    if (id === undefined) return { ids: [], logLines: [] }
    if (!ended.has(id)) {
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, timeoutMs)
        waiting.set(id, () => { clearTimeout(timer); resolve() })
      })
      waiting.delete(id)
    }
    ended.delete(id)
    const rec = records.get(id)
    records.delete(id)
    const attacks = rec?.attacks ?? []
    return { ids: attacks.map(a => a.rule_id), logLines: attacks.map(logLine) }
  }
}
