import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { waf, wafServerOptions } from '../../plugins/index.js'

/**
 * Hello world with the umbrella plugin, every channel to one loopback TCP collector. `rules: false`
 * is the logging suite (forensic + access + heartbeat); `rules: true` adds the rule check with the
 * default rules and the attack log.
 */
export async function build (args: { collector: string, rules?: boolean }): Promise<FastifyInstance> {
  const app = Fastify({ ...wafServerOptions() })
  const url = args.collector
  await app.register(waf, {
    transport: { channels: { forensic: url, access: url, attack: url, heart: url } },
    rules: args.rules === true ? {} : false,
    attack: args.rules === true ? {} : false
  })
  app.get('/', async () => ({ hello: 'world' }))
  return app
}
