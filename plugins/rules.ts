import { performance } from 'node:perf_hooks'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { WafContext } from '../lib/lifecycle/context.js'
import { DEPART_ORDER } from '../lib/lifecycle/participant.js'
import { rulesRun } from '../lib/lifecycle/policy.js'
import type { ClientErrorInfo } from '../lib/lifecycle/participant.js'
import { PluginSwitch, participantSwitch, validateRouteToggles } from '../lib/lifecycle/switches.js'
import type { PrefixOptions, RouteToggle } from '../lib/lifecycle/switches.js'
import { RuleEngine } from '../lib/rules/engine.js'
import type { CheckOptions, CheckResult } from '../lib/rules/engine.js'
import type { BodyInput, RequestInput } from '../lib/rules/input.js'
import { BodyCapture, readBody, teeBody } from '../lib/rules/body-capture.js'
import type { CompiledRule } from '../lib/rules/model.js'
import { bodyInput, inputFromIncoming, inputFromRawHead } from '../lib/rules/node-input.js'
import { validateRulesOptions } from '../lib/rules/options.js'
import type { RuleSet } from '../lib/rules/ruleset.js'
import type { Interruption, Transaction } from '../lib/rules/transaction.js'
import type { SecLangReport } from '../lib/rules/seclang/index.js'
import { BODYLESS, hasBody, parseFormBody } from '../lib/rules/request-body.js'
import { settleCheck } from '../lib/rules/settle.js'
import { hasResponseRules } from '../lib/rules/response.js'
import { ResponseInspection } from '../lib/rules/response-inspect.js'
import { denyAnswerOf } from '../lib/rules/deny-answer.js'
import type { DenyTemplate } from '../lib/deny-template.js'
import { buildEngine, logReport, validateDomainRules } from '../lib/rules/build-engine.js'
import type { EngineOptions } from '../lib/rules/build-engine.js'
import { checkOptionNames } from '../lib/options.js'
import { coreOf } from './core.js'
import { responseHook } from './rules-response.js'
import type { WafParticipant } from './core.js'

export type { CheckOptions, CheckResult } from '../lib/rules/engine.js'
export type { RequestInput } from '../lib/rules/input.js'
export type { DenyTemplate } from '../lib/deny-template.js'

export interface WafRulesOptions extends EngineOptions, PrefixOptions {
  /** Set by the umbrella `waf` plugin. */
  routes?: RouteToggle[]
  /**
   * The answer to a denied request instead of the small JSON one: a content type and a body
   * template in which `{id}`, `{status}` and `{reason}` are replaced (nothing else is read).
   */
  denyResponse?: DenyTemplate
}

/** `app.wafRules`: the engine, for tools and tests, and what was loaded. */
export interface WafRules {
  /** Runs phases 1 and 2 over a request given as data; the mode defaults to the plugin's. */
  check(input: RequestInput, opts?: CheckOptions): CheckResult
  /** The loaded rules, in order. */
  readonly rules: readonly CompiledRule[]
  readonly ruleSet: RuleSet
  readonly engine: RuleEngine
  /** What the SecLang files did (rules loaded, unsupported, skipped), when some were loaded. */
  readonly seclang: SecLangReport | undefined
  /** The engines of the domains with rule files of their own (`domainRules`), by domain. */
  readonly domains: ReadonlyMap<string, { engine: RuleEngine, seclang: SecLangReport | undefined }>
}

declare module 'fastify' {
  interface FastifyInstance {
    wafRules: WafRules
  }
}

const OWNER = 'waf-rules'
const KNOWN = new Set(['rules', 'defaultRules', 'mode', 'policies', 'denyStatus', 'maxPayload', 'limits', 'exclusions', 'crs', 'responseBodyTypes', 'domainRules',
  'parseUrlencoded', 'include', 'exclude', 'routes', 'denyResponse'])
const FORM = 'application/x-www-form-urlencoded'

const kTx = Symbol('waf.rules.tx')
const kDeny = Symbol('waf.rules.deny')
const kRawForm = Symbol('waf.rules.rawForm')
const kBody = Symbol('waf.rules.body')
const kResponse = Symbol('waf.rules.response')
const kEngine = Symbol('waf.rules.engine')
interface RulesRequest extends FastifyRequest {
  /** Phase 2 still to run (null once it has, or when the rules are off for the request). */
  [kTx]: Transaction | null
  [kDeny]: number | null
  [kRawForm]: string | null
  [kBody]: BodyCapture | null
  /** Phases 3–5 still to run (only when the rule set has rules in them). */
  [kResponse]: ResponseInspection | null
  /** The engine of the request's domain, when it has its own (domainRules); null: the registration's. */
  [kEngine]: RuleEngine | null
}

/** Read after the engine ran (TypeScript would keep an earlier narrowing of the field). */
function interruptionOf (tx: Transaction): Interruption | undefined {
  return tx.interrupted
}

export const wafRules = fp<WafRulesOptions>(async function wafRules (app: FastifyInstance, opts: WafRulesOptions) {
  const core = coreOf(app)
  checkOptionNames(OWNER, opts, KNOWN)
  const answer = denyAnswerOf(opts.denyResponse)
  const deny = (reply: FastifyReply, status: number, id: string): void => {
    void reply.code(status).header('content-type', answer.contentType).send(answer.body(status, id))
  }
  validateRulesOptions(opts)
  const sw = new PluginSwitch('rules', OWNER, opts, validateRouteToggles(OWNER, opts.routes))
  const { engine, seclang } = await buildEngine(opts)
  logReport(app.log, seclang, '')
  const domains = new Map<string, { engine: RuleEngine, seclang: SecLangReport | undefined }>()
  for (const [domain, files] of Object.entries(validateDomainRules(opts.domainRules))) {
    const built = await buildEngine(opts, files)
    logReport(app.log, built.seclang, `${domain}: `)
    domains.set(domain, built)
  }
  /** The engine of the request's domain. */
  const engineFor = (ctx: WafContext): RuleEngine => domains.size === 0 ? engine : (domains.get(ctx.domain)?.engine ?? engine)
  const engineOf = (request: FastifyRequest): RuleEngine => (request as RulesRequest)[kEngine] ?? engine

  const ownMode = opts.mode
  if (opts.mode !== undefined) core.policies.setDefaultMode(opts.mode)
  if (opts.policies !== undefined) core.policies.set(opts.policies)


  const responsePhases = hasResponseRules(engine.ruleSet) || [...domains.values()].some(d => hasResponseRules(d.engine.ruleSet))

  // Declared on the request class, so that setting them per request keeps its shape stable.
  for (const k of [kTx, kDeny, kRawForm, kBody, kResponse, kEngine]) if (!app.hasRequestDecorator(k)) app.decorateRequest(k, null)

  /** The body phase 2 reads: what the framework parsed, or the bytes kept when it parsed nothing. */
  function bodyOf (request: FastifyRequest, parsed: boolean): BodyInput | undefined {
    const r = request as RulesRequest
    // `?? null`: a request Fastify answered before routing (the early path) has no decorators.
    const capture = r[kBody] ?? null
    const type = request.headers['content-type']
    if (!parsed || BODYLESS.has(request.method)) {
      return capture === null || capture.size === 0 ? undefined : bodyInput(capture.bytes(), undefined, type)
    }
    const body = bodyInput(request.body, r[kRawForm] ?? undefined, type)
    // A parsed JSON body: REQUEST_BODY is the body as sent, not the object written back.
    // Longer than the limit (the copy stops one byte past it): the bytes kept, so that the cut is
    // recorded, whether or not a rule reads REQUEST_BODY.
    if (body?.json !== undefined && body.raw === undefined && capture !== null && capture.ended && (capture.size === capture.seen || capture.seen > engine.limits.bodyBytes)) {
      body.raw = capture.bytes().toString('latin1')
    }
    return body
  }

  /** Runs phase 2 once, and records what it found. */
  function bodyPhase (request: FastifyRequest, ctx: WafContext, parsed: boolean): Transaction | undefined {
    const r = request as RulesRequest
    const tx = r[kTx] ?? null
    if (tx === null) return undefined
    r[kTx] = null
    if (tx.interrupted !== undefined) return undefined
    const started = performance.now()
    const eng = engineOf(request)
    eng.body(tx, bodyOf(request, parsed))
    eng.phase(tx, 2)
    settleCheck(eng, ctx, tx, started)
    return tx
  }

  const participant: WafParticipant = {
    key: 'rules',
    order: DEPART_ORDER.rules,
    ...participantSwitch(sw),
    // A request that never reached the body phase (Fastify answered first: a malformed URL, a
    // body its parser rejected, an error) still gets it, on the body bytes kept, before it is
    // logged: only the deny is not possible any more.
    depart (request: FastifyRequest, _reply: FastifyReply, ctx: WafContext) {
      bodyPhase(request, ctx, false)
      const r = request as RulesRequest
      const response = r[kResponse] ?? null
      if (response === null) return
      r[kResponse] = null
      const started = performance.now()
      response.finish()
      settleCheck(engineOf(request), ctx, response.tx, started, response)
    },
    arrive (request: FastifyRequest, _reply: FastifyReply, ctx: WafContext, early: boolean) {
      if (!checks(ctx)) return
      const started = performance.now()
      const eng = engineFor(ctx)
      const tx = eng.begin(inputFromIncoming(request.raw, ctx.clientIp), ctx.policy.mode)
      // SecRuleEngine DetectionOnly (or Off) made the mode more cautious: the records say so.
      if (tx.mode !== ctx.policy.mode) ctx.policy = { ...ctx.policy, mode: tx.mode }
      eng.phase(tx, 1)
      const r = request as RulesRequest
      r[kTx] = tx
      if (eng !== engine) r[kEngine] = eng
      if (responsePhases) r[kResponse] = new ResponseInspection(eng, tx)
      settleCheck(eng, ctx, tx, started)
      // The deny goes out in preParsing, once every onRequest hook (the forensic "+" line) has
      // run; requests Fastify already answered (early) are only recorded.
      if (!early && tx.interrupted !== undefined) r[kDeny] = tx.interrupted.status
    },
    // A request Node's HTTP parser refused (answered 400 before Fastify saw it) is checked on the
    // head it received, in detect mode: every rule runs and is logged, none can deny any more.
    clientErrorArrive (info: ClientErrorInfo) {
      const ctx = info.ctx
      const head = info.head
      if (!checks(ctx) || head === undefined) return
      const started = performance.now()
      const eng = engineFor(ctx)
      const tx = eng.begin(inputFromRawHead(head.requestLine, head.rawHeaders, info.remoteAddress), 'detect')
      eng.phase(tx, 1)
      settleCheck(eng, ctx, tx, started)
    }
  }

  /** Whether the rules run for this request; settles the mode of a domain without a policy. */
  function checks (ctx: WafContext): boolean {
    ctx.policy = core.policies.withRegistrationMode(ctx.policy, ownMode)
    return rulesRun(ctx.policy)
  }
  core.addJoinHook(app, participant)

  app.addHook('preParsing', function wafRulesDeny (request, reply, payload, done) {
    const r = request as RulesRequest
    const status = r[kDeny]
    if (status !== null) {
      // Not calling done: the body is never read and the handler never runs.
      deny(reply, status, request.waf.id)
      return
    }
    if (r[kTx] === null || !hasBody(request.headers)) {
      done(null, payload)
      return
    }
    // One byte past the limit, so that the check sees the body was longer and records the cut.
    const capture = new BodyCapture(engineOf(request).limits.bodyBytes + 1)
    r[kBody] = capture
    if (BODYLESS.has(request.method)) {
      readBody(payload, capture)
      done(null, payload)
      return
    }
    done(null, teeBody(payload, capture))
  })

  app.addHook('preHandler', function wafRulesBody (request, reply, done) {
    const r = request as RulesRequest
    if (r[kTx] === null) {
      done()
      return
    }
    const capture = r[kBody]
    if (capture !== null && !capture.ended && BODYLESS.has(request.method)) {
      // Fastify did not read this body: the handler waits until the plugin has.
      capture.whenEnded(() => { bodyPhaseThenHandler(request, reply, done) })
      return
    }
    bodyPhaseThenHandler(request, reply, done)
  })

  function bodyPhaseThenHandler (request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    const tx = bodyPhase(request, request.waf, true)
    const stop = tx === undefined ? undefined : interruptionOf(tx)
    if (stop === undefined) {
      done()
      return
    }
    deny(reply, stop.status, request.waf.id)
  }

  // Fastify has no urlencoded parser; without one a form post is answered 415 and its body is
  // never inspected. This one keeps the raw text for REQUEST_BODY and parses like
  // @fastify/formbody. An app with its own parser keeps it (the body is then inspected as parsed).
  if (opts.parseUrlencoded !== false && !app.hasContentTypeParser(FORM)) {
    app.addContentTypeParser(FORM, { parseAs: 'buffer' }, function wafFormParser (request, body, done) {
      const form = parseFormBody(body as Buffer)
      ;(request as RulesRequest)[kRawForm] = form.raw
      done(null, form.parsed)
    })
  }

  // No rule in phases 3–5: no response hook at all, so a response costs nothing.
  if (responsePhases) {
    app.addHook('onSend', responseHook((request: FastifyRequest) => {
      const r = request as RulesRequest
      return r[kResponse] ?? null
    }, (request, response, started) => { settleCheck(engineOf(request), request.waf, response.tx, started, response) }, answer))
  }

  const api: WafRules = {
    check: (input, o) => engine.check(input, o),
    rules: engine.ruleSet.rules,
    ruleSet: engine.ruleSet,
    engine,
    seclang,
    domains
  }
  app.decorate('wafRules', api)
}, { name: 'waf-rules', fastify: '5.x', dependencies: ['waf-socket'] })

export default wafRules
