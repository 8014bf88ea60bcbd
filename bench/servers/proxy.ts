import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import replyFrom from '@fastify/reply-from'

/** A plain `@fastify/reply-from` proxy: the floor under any Fastify gateway. */
export async function build (args: { upstream: string }): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(replyFrom, { base: args.upstream })
  app.all('/*', (request, reply) => reply.from(request.url))
  return app
}
