import { performance } from 'node:perf_hooks'
import type { WafContext } from '../lifecycle/context.js'
import type { RuleEngine } from './engine.js'
import type { ResponseInspection } from './response-inspect.js'
import type { Transaction } from './transaction.js'

/** Copies the transaction's outcome into the request context. */
export function settleCheck (eng: RuleEngine, ctx: WafContext, tx: Transaction, startedAt: number, response?: ResponseInspection): void {
  ctx.wafMs += performance.now() - startedAt
  if (tx.matches.length > 0 || tx.req.cuts.length > 0 || tx.response !== undefined) ctx.attacks = eng.attacks(tx)
  // A response deny that came after the headers went out was logged, not applied.
  if (tx.interrupted !== undefined && response?.unapplied !== true) ctx.action = 'deny'
  else if (ctx.attacks.length > 0) {
    ctx.action = 'log'
    // Nothing was denied (a deny the response could no longer take): every entry says logged.
    if (tx.interrupted !== undefined) for (const a of ctx.attacks) a.action = 'log'
  }
  if (tx.bot) ctx.bot = true
}
