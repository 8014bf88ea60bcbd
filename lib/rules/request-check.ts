import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { WafContext } from '../lifecycle/context.js'
import type { WafMode } from '../lifecycle/policy.js'
import type { Readable } from 'node:stream'
import { BodyCapture, readBody, teeBody } from './body-capture.js'
import type { RuleEngine } from './engine.js'
import type { BodyInput, RequestInput } from './input.js'
import { bodyInput, inputFromIncoming } from './node-input.js'
import { BODYLESS, bodyPhaseIdle, hasBody } from './request-body.js'
import { ResponseInspection } from './response-inspect.js'
import { settleCheck } from './settle.js'
import type { Interruption, Transaction } from './transaction.js'

/** What the body phase reads of a request: the framework's request as far as lib needs it. */
export interface BodySource {
  readonly method: string
  readonly headers: IncomingHttpHeaders
  /** The body the framework parsed (undefined when it parsed none). */
  readonly body: unknown
}

/** Read after the engine ran (TypeScript would keep an earlier narrowing of the field). */
function interruptionOf (tx: Transaction): Interruption | undefined {
  return tx.interrupted
}

/** Phase 1 on what the request carries, in `mode`: the transaction, its outcome settled into the context. */
export function checkHead (eng: RuleEngine, ctx: WafContext, input: RequestInput, mode: WafMode): Transaction {
  const started = performance.now()
  const tx = eng.begin(input, mode)
  eng.phase(tx, 1)
  settleCheck(eng, ctx, tx, started)
  return tx
}

/**
 * One request's rule check between its phases: phase 1 ran when it was made; phase 2 and the
 * response phases (3–5) run later, each once, on what the request and its response carry.
 */
export class RequestCheck {
  /** Phase 2 still to run (null once it has). */
  private tx: Transaction | null
  /** The status of a phase-1 deny still to be sent, once every arrival hook has run. */
  readonly deny: number | null
  /** The urlencoded body as sent, kept by the plugin's form parser for REQUEST_BODY. */
  rawForm: string | null = null
  /** The body bytes kept for phase 2, when the request has a body. */
  capture: BodyCapture | null = null
  /** Phases 3–5 still to run (only when the rule set has rules in them). */
  response: ResponseInspection | null

  /**
   * Phase 1 as the request arrives. `early`: the framework already answered (a malformed URL),
   * so a deny is only recorded.
   */
  constructor (readonly engine: RuleEngine, request: IncomingMessage, ctx: WafContext, early: boolean, responsePhases: boolean) {
    const tx = checkHead(engine, ctx, inputFromIncoming(request, ctx.clientIp), ctx.policy.mode)
    // SecRuleEngine DetectionOnly (or Off) made the mode more cautious: the records say so.
    if (tx.mode !== ctx.policy.mode) ctx.policy = { ...ctx.policy, mode: tx.mode }
    // A GET or HEAD without a body under rules whose phase 2 reads only bodies: phase 2 would run
    // nothing and find nothing, so it is done already.
    this.tx = bodyPhaseIdle(engine.ruleSet, request.method ?? '', request.headers) ? null : tx
    this.response = responsePhases ? new ResponseInspection(engine, tx) : null
    this.deny = !early && tx.interrupted !== undefined ? tx.interrupted.status : null
  }

  /** Whether phase 2 is still to run. */
  get pending (): boolean {
    return this.tx !== null
  }

  /**
   * The payload the framework reads next: when phase 2 is to run on a body, the bytes are kept
   * as they pass (one byte past the limit, so that phase 2 sees the body was longer and records
   * the cut); a body the framework does not read (GET, HEAD, TRACE) is read here.
   */
  watchBody (payload: Readable, method: string, headers: IncomingHttpHeaders): Readable {
    if (this.tx === null || !hasBody(headers)) return payload
    const capture = new BodyCapture(this.engine.limits.bodyBytes + 1)
    this.capture = capture
    if (!BODYLESS.has(method)) return teeBody(payload, capture)
    readBody(payload, capture)
    return payload
  }

  /** Calls `then` once the body is all kept: at once, unless the framework left it unread (a GET with a body). */
  afterBody (method: string, then: () => void): void {
    const capture = this.capture
    if (capture !== null && !capture.ended && BODYLESS.has(method)) capture.whenEnded(then)
    else then()
  }

  /**
   * Runs phase 2 once and records what it found; `parsed`: the framework read the body (false
   * when it answered first, and the bytes kept are all there is). Returns the interruption to
   * answer with, if any.
   */
  bodyPhase (ctx: WafContext, request: BodySource, parsed: boolean): Interruption | undefined {
    const tx = this.tx
    if (tx === null) return undefined
    this.tx = null
    if (tx.interrupted !== undefined) return undefined
    const started = performance.now()
    const body = this.bodyOf(request, parsed)
    // Phase 2 runs once: the copy of the body is not needed past it, and a request stays in
    // flight for its whole upstream round trip (the framework holds its own parsed body).
    this.capture = null
    this.rawForm = null
    // No body (a POST, DELETE or OPTIONS that sent none, and no hook gave it one) under rules
    // whose phase 2 reads only bodies: the transaction keeps no body, phase 2 runs no rule, and
    // its limit check found nothing after phase 1 already (no cut was added since), so the
    // outcome is the one settled after phase 1.
    if (body === undefined && this.engine.ruleSet.phaseTwoReadsOnlyBodies) return undefined
    // What settleCheck reads of the transaction (matches and cuts are only ever added to, so
    // equal counts mean equal lists; a ctl, a deny or the bot flag come with a match).
    const matches = tx.matches.length
    const cuts = tx.req.cuts.length
    const interrupted = tx.interrupted
    const bot = tx.bot
    this.engine.body(tx, body)
    this.engine.phase(tx, 2)
    // Phase 2 found nothing new (most requests: no body, or a clean one): the context already
    // holds what settling would write again (settleCheck is a function of that outcome, and
    // nothing else writes the context's attacks or action), so only the time is added.
    if (matches === tx.matches.length && cuts === tx.req.cuts.length && interrupted === tx.interrupted && bot === tx.bot && tx.response === undefined) {
      ctx.wafMs += performance.now() - started
    } else {
      settleCheck(this.engine, ctx, tx, started)
    }
    return interruptionOf(tx)
  }

  /** The response phases still to run, after the response: phase 5 on what was inspected. */
  finishResponse (ctx: WafContext): void {
    const response = this.response
    if (response === null) return
    this.response = null
    const started = performance.now()
    response.finish()
    settleCheck(this.engine, ctx, response.tx, started, response)
  }

  /** The body phase 2 reads: what the framework parsed, or the bytes kept when it parsed nothing. */
  private bodyOf (request: BodySource, parsed: boolean): BodyInput | undefined {
    const capture = this.capture
    const type = request.headers['content-type']
    if (!parsed || BODYLESS.has(request.method)) {
      return capture === null || capture.size === 0 ? undefined : bodyInput(capture.bytes(), undefined, type)
    }
    const body = bodyInput(request.body, this.rawForm ?? undefined, type)
    // A parsed JSON body: REQUEST_BODY is the body as sent, not the object written back.
    // Longer than the limit (the copy stops one byte past it): the bytes kept, so that the cut is
    // recorded, whether or not a rule reads REQUEST_BODY.
    if (body?.json !== undefined && body.raw === undefined && capture !== null && capture.ended && (capture.size === capture.seen || capture.seen > this.engine.limits.bodyBytes)) {
      body.raw = capture.bytes().toString('latin1')
    }
    return body
  }
}
