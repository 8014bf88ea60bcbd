import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { wafSocket } from '../../plugins/socket.js'
import { wafRules } from '../../plugins/rules.js'

/**
 * Hello world with `wafRules` (the default rule set, block mode) and nothing else of the suite:
 * the cost of the rule check on a request, compared with bare Fastify (servers/hello).
 */
export async function build (args: { mode?: 'block' | 'detect' }): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(wafSocket, { channels: {} })
  await app.register(wafRules, { mode: args.mode ?? 'block' })
  app.get('/', async () => ({ hello: 'world' }))
  return app
}
