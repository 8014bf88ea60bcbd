import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'

/**
 * Bare Fastify hello world, the baseline every suite ratio is taken against. With `logger: true`
 * it is Fastify's own pino request logging, to /dev/null through pino's asynchronous destination.
 */
export async function build (args: { logger?: boolean }): Promise<FastifyInstance> {
  const app: FastifyInstance = args.logger === true
    ? Fastify({ loggerInstance: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })) }) as unknown as FastifyInstance
    : Fastify()
  app.get('/', async () => ({ hello: 'world' }))
  return app
}
