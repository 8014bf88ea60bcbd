import type { FastifyInstance } from 'fastify'
import { buildGateway } from '../../example-app/gateway.js'
import { loadConfig } from '../../example-app/config.js'

/**
 * The gateway in front of the benchmark's upstream, with every waf plugin on (`waf: true`, every
 * channel to the loopback TCP collector) or with none. Rate limiting is off in both, since the
 * load comes from one client.
 */
export async function build (args: { upstream: string, collector: string, waf: boolean }): Promise<FastifyInstance> {
  const { config } = loadConfig({
    WAF_UPSTREAM: args.upstream,
    WAF_RATE_LIMIT_MAX: '0',
    WAF_CHANNEL_FORENSIC: args.collector,
    WAF_CHANNEL_ACCESS: args.collector,
    WAF_CHANNEL_ATTACK: args.collector,
    WAF_CHANNEL_HEART: args.collector
  })
  return await buildGateway(config, { defaultUpstream: args.upstream, logger: false, waf: args.waf })
}
