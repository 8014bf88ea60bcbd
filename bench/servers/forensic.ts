import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { wafSocket } from '../../plugins/socket.js'
import { wafForensic } from '../../plugins/forensic.js'
import { wafServerOptions } from '../../plugins/core.js'

/**
 * Hello world with the forensic log writing to a loopback TCP collector. `immediate: false` lets
 * the "+" lines batch with the channel instead of starting a write per request.
 */
export async function build (args: { collector: string, immediate?: boolean }): Promise<FastifyInstance> {
  const app = Fastify({ ...wafServerOptions() })
  await app.register(wafSocket, { channels: { forensic: args.collector } })
  await app.register(wafForensic, { immediate: args.immediate ?? true })
  app.get('/', async () => ({ hello: 'world' }))
  return app
}
