import { performance } from 'node:perf_hooks'
import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'
import { joinedContext } from '../lib/lifecycle/joined-context.js'
import type { ResponseInspection } from '../lib/rules/response-inspect.js'
import { DEFAULT_DENY } from '../lib/rules/deny-answer.js'
import type { DenyAnswer } from '../lib/rules/deny-answer.js'

export { DEFAULT_DENY, denyBody } from '../lib/rules/deny-answer.js'
export type { DenyAnswer } from '../lib/rules/deny-answer.js'

/**
 * The rules plugin's onSend hook (registered only when the rule set has response rules): phases
 * 3 and 4 on what the route (or reply-from, in the gateway) sends, through lib's
 * ResponseInspection. A deny replaces the response (status, headers, body) while nothing has been
 * sent; anything else sends the payload the inspection hands back (the same one, or a stream that
 * replays what block mode held).
 */
export function responseHook (
  inspectionOf: (request: FastifyRequest) => ResponseInspection | null,
  settle: (request: FastifyRequest, inspection: ResponseInspection, started: number) => void,
  answer: DenyAnswer = DEFAULT_DENY
): onSendHookHandler {
  return function wafRulesResponse (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void) {
    const inspection = inspectionOf(request)
    if (inspection === null || inspection.tx.interrupted !== undefined) {
      done(null, payload)
      return
    }
    const started = performance.now()
    const res = reply.raw
    const head = { status: reply.statusCode, protocol: `HTTP/${request.raw.httpVersion}`, headers: reply.getHeaders() }
    inspection.inspect(head, payload, !res.headersSent, (err, out) => {
      settle(request, inspection, started)
      if (err !== null) {
        done(err)
        return
      }
      if (out.deny === undefined) {
        done(null, out.payload)
        return
      }
      for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name)
      void reply.code(out.deny).header('content-type', answer.contentType)
      done(null, answer.body(out.deny, joinedContext(request).id))
    })
  }
}
