import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { waf, wafServerOptions } from '../../plugins/index.js'

type Logger = 'forensic' | 'access' | 'heartbeat'

/**
 * Hello world with the umbrella plugin, every channel to one loopback TCP collector. `rules: false`
 * is the logging suite (forensic + access + heartbeat); `rules: true` adds the rule check with the
 * default rules and the attack log. `only` keeps the named loggers of the logging suite and leaves
 * the others out (the split of its cost, plugin by plugin). `batched: true` writes the forensic
 * lines in batches like the other channels, instead of one write each event-loop turn (the
 * umbrella's default). `flushLimit` sets that option of every channel (default the transport's),
 * to measure what the number of collector writes costs.
 */
export async function build (args: { collector: string, rules?: boolean, batched?: boolean, only?: Logger[], flushLimit?: number }): Promise<FastifyInstance> {
  const app = Fastify({ ...wafServerOptions() })
  const flushLimit = args.flushLimit
  const url = flushLimit === undefined ? args.collector : { url: args.collector, flushLimit }
  const kept = (name: Logger): boolean => args.only === undefined || args.only.includes(name)
  await app.register(waf, {
    transport: { channels: { forensic: url, access: url, attack: url, heart: url } },
    forensic: !kept('forensic') ? false : args.batched === true ? { immediate: false } : {},
    access: kept('access') ? {} : false,
    heartbeat: kept('heartbeat') ? {} : false,
    rules: args.rules === true ? {} : false,
    attack: args.rules === true ? {} : false
  })
  app.get('/', async () => ({ hello: 'world' }))
  return app
}
