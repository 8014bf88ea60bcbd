import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { kRuleCheck, type WafContext } from '../lib/lifecycle/context.js'
import { joinedContext } from '../lib/lifecycle/joined-context.js'
import { DEPART_ORDER, type ClientErrorInfo } from '../lib/lifecycle/participant.js'
import { rulesRun } from '../lib/lifecycle/policy.js'
import { PluginSwitch, participantSwitch, validateRouteToggles, type PrefixOptions, type RouteToggle } from '../lib/lifecycle/switches.js'
import { inputFromRawHead } from '../lib/rules/node-input.js'
import { validateRulesOptions } from '../lib/rules/options.js'
import { parseFormBody } from '../lib/rules/request-body.js'
import { settleCheck } from '../lib/rules/settle.js'
import { denyAnswerOf } from '../lib/rules/deny-answer.js'
import type { DenyTemplate } from '../lib/deny-template.js'
import type { EngineOptions } from '../lib/rules/build-engine.js'
import { checkHead, RequestCheck } from '../lib/rules/request-check.js'
import { RuleEngines, type WafRules } from '../lib/rules/rule-engines.js'
import { checkOptionNames } from '../lib/options.js'
import { coreOf } from './core.js'
import { responseHook } from './rules-response.js'
import type { WafParticipant } from './core.js'

export type { CheckOptions, CheckResult } from '../lib/rules/engine.js'
export type { RequestInput } from '../lib/rules/input.js'
export type { DenyTemplate } from '../lib/deny-template.js'
export type { WafRules } from '../lib/rules/rule-engines.js'

export interface WafRulesOptions extends EngineOptions, PrefixOptions {
  /** Set by the umbrella `waf` plugin. */
  routes?: RouteToggle[]
  /**
   * The answer to a denied request instead of the small JSON one: a content type and a body
   * template in which `{id}`, `{status}` and `{reason}` are replaced (nothing else is read).
   */
  denyResponse?: DenyTemplate
}

declare module 'fastify' {
  interface FastifyInstance {
    wafRules: WafRules
  }
}

const OWNER = 'waf-rules'
const KNOWN = new Set(['rules', 'defaultRules', 'mode', 'policies', 'denyStatus', 'maxPayload', 'limits', 'exclusions', 'crs', 'responseBodyTypes', 'domainRules',
  'parseUrlencoded', 'include', 'exclude', 'routes', 'denyResponse', 'resultCacheBytes'])
const FORM = 'application/x-www-form-urlencoded'

/** The request's rule check, on its context (see kRuleCheck), when the rules run for it. */
type RulesContext = WafContext & { [kRuleCheck]: RequestCheck | null }
/** `?? null`: a request Fastify answered before routing (the early path) has no decorators. */
const checkOf = (request: FastifyRequest): RequestCheck | null => (request.waf as RulesContext | null | undefined)?.[kRuleCheck] ?? null

export const wafRules = fp<WafRulesOptions>(async function wafRules (app: FastifyInstance, opts: WafRulesOptions) {
  const core = coreOf(app)
  checkOptionNames(OWNER, opts, KNOWN)
  const answer = denyAnswerOf(opts.denyResponse)
  const deny = (reply: FastifyReply, status: number, id: string): void => {
    void reply.code(status).header('content-type', answer.contentType).send(answer.body(status, id))
  }
  validateRulesOptions(opts)
  const sw = new PluginSwitch('rules', OWNER, opts, validateRouteToggles(OWNER, opts.routes))
  const engines = await RuleEngines.build(opts, app.log)

  const ownMode = opts.mode
  if (opts.mode !== undefined) core.policies.setDefaultMode(opts.mode)
  if (opts.policies !== undefined) core.policies.set(opts.policies)

  /** Whether the rules run for this request; settles the mode of a domain without a policy. */
  function checks (ctx: WafContext): boolean {
    ctx.policy = core.policies.withRegistrationMode(ctx.policy, ownMode)
    return rulesRun(ctx.policy)
  }

  const participant: WafParticipant = {
    key: 'rules',
    order: DEPART_ORDER.rules,
    ...participantSwitch(sw),
    // A request that never reached the body phase (Fastify answered first: a malformed URL, a
    // body its parser rejected, an error) still gets it, on the body bytes kept, before it is
    // logged: only the deny is not possible any more.
    depart (request: FastifyRequest, _reply: FastifyReply, ctx: WafContext) {
      const check = checkOf(request)
      if (check === null) return
      check.bodyPhase(ctx, request, false)
      check.finishResponse(ctx)
    },
    // The deny goes out in preParsing, once every onRequest hook (the forensic "+" line) has
    // run; requests Fastify already answered (early) are only recorded.
    arrive (request: FastifyRequest, _reply: FastifyReply, ctx: WafContext, early: boolean) {
      if (!checks(ctx)) return
      ;(ctx as RulesContext)[kRuleCheck] = new RequestCheck(engines.for(ctx.domain), request.raw, ctx, early, engines.responsePhases)
    },
    // A request Node's HTTP parser refused (answered 400 before Fastify saw it) is checked on the
    // head it received, in detect mode: every rule runs and is logged, none can deny any more.
    clientErrorArrive (info: ClientErrorInfo) {
      const head = info.head
      if (!checks(info.ctx) || head === undefined) return
      checkHead(engines.for(info.ctx.domain), info.ctx, inputFromRawHead(head.requestLine, head.rawHeaders, info.remoteAddress), 'detect')
    }
  }
  core.addJoinHook(app, participant)

  app.addHook('preParsing', function wafRulesDeny (request, reply, payload, done) {
    const check = checkOf(request)
    // A deny: not calling done, so the body is never read and the handler never runs.
    if (check !== null && check.deny !== null) deny(reply, check.deny, joinedContext(request).id)
    else done(null, check === null ? payload : check.watchBody(payload, request.method, request.headers))
  })

  app.addHook('preHandler', function wafRulesBody (request, reply, done) {
    const check = checkOf(request)
    if (check === null || !check.pending) {
      done()
      return
    }
    check.afterBody(request.method, () => {
      const stop = check.bodyPhase(joinedContext(request), request, true)
      if (stop === undefined) done()
      else deny(reply, stop.status, joinedContext(request).id)
    })
  })

  // Fastify has no urlencoded parser; without one a form post is answered 415 and its body is
  // never inspected. This one keeps the raw text for REQUEST_BODY and parses like
  // @fastify/formbody. An app with its own parser keeps it (the body is then inspected as parsed).
  if (opts.parseUrlencoded !== false && !app.hasContentTypeParser(FORM)) {
    app.addContentTypeParser(FORM, { parseAs: 'buffer' }, function wafFormParser (request, body, done) {
      const form = parseFormBody(body as Buffer)
      const check = checkOf(request)
      if (check !== null) check.rawForm = form.raw
      done(null, form.parsed)
    })
  }

  // No rule in phases 3–5: no response hook at all, so a response costs nothing.
  if (engines.responsePhases) {
    app.addHook('onSend', responseHook((request: FastifyRequest) => checkOf(request)?.response ?? null,
      (request, response, started) => { settleCheck(checkOf(request)?.engine ?? engines.engine, joinedContext(request), response.tx, started, response) }, answer))
  }

  app.decorate('wafRules', engines.api())
}, { name: 'waf-rules', fastify: '5.x', dependencies: ['waf-socket'] })

export default wafRules
