import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'

/** Bare Fastify hello world, the baseline every suite ratio is taken against. `logger: true` is pino's request logging to /dev/null. */
export async function build (args: { logger?: boolean }): Promise<FastifyInstance> {
  const app = Fastify(args.logger === true ? { logger: { level: 'info', stream: (await import('node:fs')).createWriteStream('/dev/null') } } : {})
  app.get('/', async () => ({ hello: 'world' }))
  return app
}
