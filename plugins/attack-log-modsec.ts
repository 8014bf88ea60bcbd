import type { FastifyInstance } from 'fastify'
import type { WafContext } from '../lib/lifecycle/context.js'
import { plainAddress } from '../lib/access/request-parts.js'
import { buildModsecAuditRecord } from '../lib/rules/modsec-audit.js'
import type { ModsecAuditRecord, ModsecSourceRequest, ModsecSourceResponse } from '../lib/rules/modsec-audit.js'
import type { CompiledRule } from '../lib/rules/model.js'
import type { RuleEngine } from '../lib/rules/engine.js'

export type { ModsecAuditRecord } from '../lib/rules/modsec-audit.js'

type ModsecWriter = (req: ModsecSourceRequest, res: ModsecSourceResponse | undefined, ctx: WafContext, clientIp: string, clientPort: number, status: number) => ModsecAuditRecord

/**
 * The `modsec-json` format of waf-attack-log: the rule set (for each entry's operator, and the
 * SecComponentSignature values) is read from `app.wafRules` when a record is made, so the two
 * plugins may be registered in either order.
 */
export function modsecAuditOf (app: FastifyInstance, redact: ReadonlySet<string>, version: string): ModsecWriter {
  const producer = `fastify-waflog v${version} (Node.js ${process.version})`
  const connector = `fastify v${app.version}`
  const engines = (): RuleEngine[] => app.hasDecorator('wafRules') ? [app.wafRules.engine, ...[...app.wafRules.domains.values()].map(d => d.engine)] : []
  const rule = (id: string): CompiledRule | undefined => {
    for (const e of engines()) {
      const r = e.ruleSet.byId.get(id)
      if (r !== undefined) return r
    }
    return undefined
  }
  return (req, res, ctx, clientIp, clientPort, status) => {
    const engine = app.hasDecorator('wafRules') ? (app.wafRules.domains.get(ctx.domain)?.engine ?? app.wafRules.engine) : undefined
    const socket = req.socket ?? null
    const local = socket === null ? req : { ...req, socket: { localAddress: plainAddress(socket.localAddress), localPort: socket.localPort } }
    return buildModsecAuditRecord(local, res, ctx, {
      redact, clientIp, clientPort, status, rule, components: engine?.settings.components ?? [], producer, connector
    })
  }
}
