import type { FastifyInstance } from 'fastify'
import { AllowList } from './allow-list.js'
import type { MetricsConfig } from './config-metrics.js'
import { PROMETHEUS_CONTENT_TYPE, exposition } from './prometheus.js'

/**
 * `GET <metrics.path>`: the Prometheus text format for the whole gateway. In a cluster, `scrape`
 * asks the primary, which collects every worker's families; without one (the gateway built in a
 * single process, as tests do) this worker's own families are served. Clients outside `allow`
 * get a 404, as for the status endpoint; the endpoint is not rule-checked.
 */
export function registerMetricsEndpoint (app: FastifyInstance, config: MetricsConfig, scrape: (() => Promise<string>) | undefined): void {
  const allow = new AllowList(config.allow, 'metrics.allow')
  app.get(config.path, { config: { waf: { rules: false } }, logLevel: 'warn' }, async function wafMetrics (request, reply) {
    if (!allow.allows(request.socket.remoteAddress)) return reply.callNotFound()
    const text = scrape === undefined ? await exposition([app.wafHeartbeat.metrics()]) : await scrape()
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(text)
  })
}
