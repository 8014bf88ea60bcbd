import type { WafContext } from './context.js'

/**
 * The context of a request that a participant has joined. `request.waf` is typed
 * `WafContext | null` because it is null on requests no participant covers; a hook that only runs
 * for requests its participant joined (it found its own per-request state) reads the context here,
 * and a broken assumption is an error that says so rather than a TypeError further on.
 */
export function joinedContext (request: { readonly waf: WafContext | null }): WafContext {
  const ctx = request.waf
  if (ctx === null) throw new Error('fastify-waflog: a waf hook ran for a request no waf plugin joined (request.waf is null)')
  return ctx
}
