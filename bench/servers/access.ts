import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { wafSocket } from '../../plugins/socket.js'
import { wafAccessLog } from '../../plugins/access-log.js'

/**
 * Hello world with the access log writing to a loopback TCP collector: `format` is `json` (the
 * Kong-style record) or any access-log format (`combined`…).
 */
export async function build (args: { format?: string, collector: string }): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(wafSocket, { channels: { access: args.collector } })
  await app.register(wafAccessLog, { format: args.format ?? 'json' })
  app.get('/', async () => ({ hello: 'world' }))
  return app
}
