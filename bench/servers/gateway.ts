import type { FastifyInstance } from 'fastify'
import { buildGateway } from '../../example-app/gateway.js'
import { loadConfig } from '../../example-app/config.js'
import { PLUGIN_KEYS } from '../../lib/lifecycle/context.js'
import type { PluginKey } from '../../lib/lifecycle/context.js'

/**
 * The gateway in front of the benchmark's upstream, with every waf plugin on (`waf: true`, every
 * channel to the loopback TCP collector) or with none. `only` registers the listed plugins and
 * leaves the others out, as a gateway config's `plugins` does, to show where the cost goes (a
 * plugin switched off by `routes` would still run its hooks, to find out that it is off). Rate limiting is off, since the load comes from one client, unless `rateLimit`
 * asks for it: `'memory'` (the plugin's local store) or a Redis URL (`rateLimit.redis`), with a
 * limit the load never reaches and a window longer than the benchmark, so that every request is
 * counted and none is refused. `ruleFiles` are the gateway's `rules.files` (the CRS row loads the
 * SecLang file nginx's ModSecurity loads, bench/crs-conf.ts), with the default rules off;
 * `attackChannel` sends the attack log elsewhere (a file, for the CRS self-check). `logger: true`
 * runs it with the logger `npm start` runs it with (Fastify's own lines at `warn`, on stdout);
 * the benchmark's rows run without one.
 */
export async function build (args: { upstream: string, collector: string, waf: boolean, only?: PluginKey[], rateLimit?: string, ruleFiles?: string[], attackChannel?: string, logger?: boolean }): Promise<FastifyInstance> {
  const limited = args.rateLimit === undefined
    ? { WAF_RATE_LIMIT_MAX: '0' }
    : { WAF_RATE_LIMIT_MAX: '1000000000', WAF_RATE_LIMIT_WINDOW: '86400000', ...(args.rateLimit === 'memory' ? {} : { WAF_RATE_LIMIT_REDIS: args.rateLimit }) }
  const { config } = loadConfig({
    WAF_UPSTREAM: args.upstream,
    ...limited,
    WAF_CHANNEL_FORENSIC: args.collector,
    WAF_CHANNEL_ACCESS: args.collector,
    WAF_CHANNEL_ATTACK: args.attackChannel ?? args.collector,
    WAF_CHANNEL_HEART: args.collector
  })
  if (args.ruleFiles !== undefined) config.rules = { ...config.rules, files: args.ruleFiles, defaultRules: false }
  const only = args.only
  if (only !== undefined) for (const key of PLUGIN_KEYS) config.plugins[key] = only.includes(key)
  return await buildGateway(config, { defaultUpstream: args.upstream, logger: args.logger === true, waf: args.waf })
}
