/**
 * A typed app written the way users write one, against the package's public entry point. It is
 * compiled with `tsc --noEmit` by types.test.ts: a change that breaks the public types breaks it.
 */
import Fastify from 'fastify'
import waf, { wafServerOptions, wafUpstream, wafRateLimitHooks } from 'fastify-waflog'
import type { WafOptions, WafContext, AttackEntry, ChannelStats } from 'fastify-waflog'

const options: WafOptions = {
  transport: {
    channels: {
      forensic: 'file:///var/log/waf/forensic.log',
      access: { url: 'tcp://127.0.0.1:5170', flushLimit: 16384, retry: { initialDelay: 50 } },
      attack: { url: 'tls://collector.example:6514', tls: { servername: 'collector.example' } },
      heart: { url: 'udp://127.0.0.1:2003', maxDatagram: 1400 }
    },
    closeTimeout: 2000
  },
  forensic: { redact: ['authorization'], onWriteFailure: 'reject', responseHeader: 'x-request-id' },
  rules: { mode: 'detect', policies: { 'shop.example': { mode: 'block' } }, denyStatus: 406, limits: { args: 100 } },
  access: { format: 'combined', escape: 'json', condition: rec => rec.response.status >= 400 },
  attack: { includeHeaders: false },
  heartbeat: { interval: 5000, format: 'graphite' },
  routes: [{ prefix: '/static', rules: false }]
}

export async function main (): Promise<void> {
  const app = Fastify({ ...wafServerOptions() })
  await app.register(waf, options)
  app.get('/', { config: { waf: { rules: false } } }, async request => {
    const ctx: WafContext | null = request.waf
    if (ctx === null) return { id: null }
    const first: AttackEntry | undefined = ctx.attacks[0]
    return { id: ctx.id, domain: ctx.domain, rule: first?.ruleId ?? null, mode: ctx.policy.mode }
  })
  const hooks = wafUpstream({ requestIdHeader: 'x-request-id' })
  app.all('/proxy/*', (request, reply) => reply.from(`http://127.0.0.1:3000${request.url}`, hooks))
  void wafRateLimitHooks()
  const stats: Record<string, ChannelStats> = app.wafTransport.stats()
  app.wafLog.addFilter('access', { name: 'errors', channel: 'attack', writer: 'json', policy: rec => rec.type === 'access' })
  void stats
  void app.wafHeartbeat.snapshot()
  void app.wafRules.check({ method: 'GET', url: '/?q=1', protocol: 'HTTP/1.1', rawHeaders: [], remoteAddress: '127.0.0.1' })
}
