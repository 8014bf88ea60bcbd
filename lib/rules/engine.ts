import type { AttackEntry, WafAction } from '../lifecycle/context.js'
import { underPrefix } from '../lifecycle/switches.js'
import { parseCtl, parseIdRanges } from './compile.js'
import { runPhase } from './evaluate.js'
import type { BodyInput, RequestInput } from './input.js'
import type { IdRange, Phase, TargetExclusion } from './model.js'
import { asText } from '../text/escape.js'
import { DEFAULT_LIMITS } from './request-data.js'
import { addRuleFacts } from './attack-facts.js'
import { limitBody } from './body-limits.js'
import { cautiousMode } from './rule-set-settings.js'
import type { RuleSetSettings } from './rule-set-settings.js'
import type { Cut, RuleLimits } from './request-data.js'
import type { RuleSet } from './ruleset.js'
import { responseCutEntries, responseSettings } from './response.js'
import type { ResponseSettings } from './response.js'
import { Transaction } from './transaction.js'
import { resultCacheOf, validateResultCacheBytes } from './result-cache.js'
import type { ResultCache } from './result-cache.js'
import type { EngineMode, RuleMatch } from './transaction.js'

/** `{ ruleId, target?, prefix? }`: turns a rule (or one of its targets) off, everywhere or under a path prefix. */
export interface RuleExclusion {
  /** A rule id, or an id range `942100-942199`. */
  ruleId: string | number
  /** Only this target (`ARGS:password`, `REQUEST_COOKIES:/^_ga/`); the whole rule when absent. */
  target?: string
  /** Only for request paths under this prefix. */
  prefix?: string
}

export interface EngineOptions {
  /** The default mode; a transaction may get another (per-domain policy). */
  mode?: EngineMode
  /** Status of a deny without its own (403). */
  denyStatus?: number
  limits?: Partial<RuleLimits>
  /**
   * What a cut (a limit reached: part of the request was not inspected) does in block mode:
   * denied (the default, as ModSecurity's `SecRequestBodyLimitAction Reject`: a request the
   * engine could not inspect whole does not pass), or only logged. Detect mode only logs.
   */
  limitAction?: 'log' | 'deny'
  exclusions?: readonly RuleExclusion[]
  /** Payload length kept in attack entries (256). */
  maxPayload?: number
  /** Response inspection (phases 3 and 4): body access, limit, media types, limit action. */
  response?: Partial<ResponseSettings>
  /**
   * Bytes of prefilter results and libinjection verdicts remembered across requests (./result-cache.ts): 16 MiB by
   * default, 0 for none. Ignored when `resultCache` is given.
   */
  resultCacheBytes?: number
  /** A result cache to share with other engines (a registration's domain engines share one). */
  resultCache?: ResultCache
}

export interface CheckOptions {
  mode?: EngineMode
}

/** What a check found. */
export interface CheckResult {
  /** `deny` when the request was denied, `log` when something was logged, else `pass`. */
  action: WafAction
  attacks: AttackEntry[]
  /** Every rule that matched, in order, `nolog` ones too. Readonly records: those of the rule set's initialization (the phase-1 prelude) are the same objects on every request. */
  matches: RuleMatch[]
  bot: boolean
  /** The status to answer with when `action` is `deny`. */
  status: number | undefined
  cuts: Cut[]
}

interface CompiledExclusion {
  ids: IdRange[]
  target: TargetExclusion | undefined
  prefix: string | undefined
}

/** Reserved ids of the entries a limit produces. */
export const LIMIT_RULE_IDS: Readonly<Record<Cut['kind'], string>> = Object.freeze({ args: '200001', value: '200002', body: '200003' })
const LIMIT_MSG: Record<Cut['kind'], string> = {
  args: 'Too many arguments: the rest were not inspected',
  value: 'Value longer than the inspection limit: the rest was not inspected',
  body: 'Body longer than the inspection limit: the rest was not inspected'
}

/**
 * The rule engine: a RuleSet plus the options that apply to every request. `begin` +
 * `phase(tx, 1)` + `body` + `phase(tx, 2)` is the streaming form the Fastify plugin uses;
 * `check` runs both phases at once.
 */
export class RuleEngine {
  readonly mode: EngineMode
  readonly denyStatus: number
  readonly limits: RuleLimits
  readonly limitAction: 'log' | 'deny'
  readonly maxPayload: number
  readonly response: ResponseSettings
  readonly settings: Readonly<RuleSetSettings>
  /** Bytes of a body without files inspected (SecRequestBodyNoFilesLimit). */
  readonly noFilesBytes: number
  private readonly exclusions: CompiledExclusion[]
  /** Prefilter results remembered across requests; undefined when off (resultCacheBytes 0). */
  readonly resultCache: ResultCache | undefined

  constructor (readonly ruleSet: RuleSet, opts: EngineOptions = {}) {
    this.mode = opts.mode ?? 'block'
    this.denyStatus = opts.denyStatus ?? 403
    const l = opts.limits ?? {}
    const set = ruleSet.settings
    this.settings = set
    // An option given as undefined keeps its default; the plugin's options win over the rule
    // files' SecArgumentsLimit / SecRequestBodyLimit / SecRequestBodyLimitAction.
    this.limits = {
      args: l.args ?? set.argsLimit ?? DEFAULT_LIMITS.args,
      valueBytes: l.valueBytes ?? DEFAULT_LIMITS.valueBytes,
      bodyBytes: l.bodyBytes ?? set.bodyLimit ?? DEFAULT_LIMITS.bodyBytes
    }
    this.noFilesBytes = l.bodyBytes !== undefined || set.noFilesLimit === undefined ? this.limits.bodyBytes : Math.min(set.noFilesLimit, this.limits.bodyBytes)
    this.limitAction = opts.limitAction ?? (set.bodyLimitAction === 'partial' ? 'log' : 'deny')
    this.maxPayload = opts.maxPayload ?? 256
    this.response = responseSettings(opts.response)
    this.exclusions = (opts.exclusions ?? []).map((e, i) => compileExclusion(e, i))
    // A transaction an exclusion touches runs the tables with every rule (RuleSet.fullPhases),
    // whose RE2 sets and unions take about 1 s to build under the CRS: built here, at load, so
    // that the first such request (and every request that comes with it) does not wait for them.
    if (this.exclusions.length > 0) void ruleSet.fullPhases
    validateResultCacheBytes(opts.resultCacheBytes, 'waf-rules')
    this.resultCache = opts.resultCache ?? resultCacheOf(opts.resultCacheBytes)
  }

  /** A transaction for one request, with the exclusions that apply to its path. */
  begin (input: RequestInput, mode: EngineMode = this.mode): Transaction {
    const tx = new Transaction(input, this.limits, cautiousMode(mode, this.settings.mode?.value))
    tx.matchedFrom = this.maxPayload
    tx.resultCache = this.resultCache
    tx.req.forms = this.resultCache?.forms
    if (this.exclusions.length > 0) {
      const path = tx.req.url.path
      for (const e of this.exclusions) {
        if (e.prefix !== undefined && !underPrefix(path, e.prefix)) continue
        if (e.target === undefined) tx.removeIds(e.ids)
        else tx.removeTarget({ ids: e.ids, target: e.target })
      }
    }
    return tx
  }

  phase (tx: Transaction, phase: Phase): void {
    runPhase(tx, this.ruleSet, phase, this.denyStatus)
    if (this.limitAction === 'deny' && tx.req.cuts.length > 0 && tx.mode === 'block' && tx.interrupted === undefined) {
      // SecRequestBodyLimitAction Reject answers as ModSecurity does: 413 for a body over the limit.
      const tooLarge = this.settings.bodyLimitAction === 'reject' && tx.req.cuts.some(c => c.kind === 'body')
      tx.interrupted = { rule: undefined, status: tooLarge ? 413 : this.denyStatus }
    }
  }

  body (tx: Transaction, body: BodyInput | undefined): void {
    tx.setBody(this.settings.requestBodyAccess === false ? undefined : limitBody(body, this.noFilesBytes, tx))
  }

  /** Runs phases 1 and 2 (the body, if the input has one). */
  check (input: RequestInput, opts: CheckOptions = {}): CheckResult {
    // The body is given to the transaction only for phase 2 (input.body is never read before).
    const tx = this.begin(input, opts.mode)
    this.phase(tx, 1)
    if (input.body !== undefined) this.body(tx, input.body)
    this.phase(tx, 2)
    return this.result(tx)
  }

  /** The outcome of a transaction so far. */
  result (tx: Transaction): CheckResult {
    const attacks = this.attacks(tx)
    const denied = tx.interrupted !== undefined
    return {
      action: denied ? 'deny' : attacks.length > 0 ? 'log' : 'pass',
      attacks,
      matches: tx.matches,
      bot: tx.bot,
      status: tx.interrupted?.status,
      cuts: tx.req.cuts
    }
  }

  /** Attack entries for the logged matches and for every cut, in order. */
  attacks (tx: Transaction): AttackEntry[] {
    const out: AttackEntry[] = []
    for (const m of tx.matches) if (m.log) out.push(this.entry(m))
    const limitAction = this.limitAction === 'deny' && tx.mode === 'block' ? 'deny' : 'log'
    for (const c of tx.req.cuts) {
      out.push({
        ruleId: LIMIT_RULE_IDS[c.kind],
        msg: LIMIT_MSG[c.kind],
        detectType: 'protocol',
        severity: 'notice',
        tags: ['limit'],
        location: c.location,
        payload: String(c.size),
        action: limitAction
      })
    }
    if (tx.response !== undefined) out.push(...responseCutEntries(tx.response))
    return out
  }

  private entry (m: RuleMatch): AttackEntry {
    const e: AttackEntry = {
      ruleId: m.rule.id,
      msg: m.msg,
      detectType: m.rule.detectType,
      severity: m.rule.severity ?? 'notice',
      tags: m.rule.tags,
      location: m.location,
      payload: payloadOf(m.value, m.matched, this.maxPayload),
      action: m.denied ? 'deny' : 'log',
      disruptive: m.disruptive,
      phase: m.rule.phase
    }
    if (m.score > 0) e.score = m.score
    addRuleFacts(e, m)
    return e
  }
}

/**
 * The payload of an entry: the matched value, as text (valid UTF-8 decoded, anything else as
 * latin1 characters, as the logs write header values), cut to `max`. A longer value is cut to a
 * window around the matched text when it can be found, so a payload hidden after a long prefix
 * still shows; the window never splits a UTF-8 sequence.
 */
export function payloadOf (value: string, matched: string | undefined, max: number): string {
  if (value.length <= max) return asText(value)
  let start = 0
  if (matched !== undefined && matched.length > 0) {
    const at = value.indexOf(matched.length > max ? matched.slice(0, max) : matched)
    if (at > 0) start = Math.max(0, Math.min(at - (max >> 3), value.length - max))
  }
  let end = start + max
  while (start < end && isContinuationByte(value, start)) start++
  while (end > start && end < value.length && isContinuationByte(value, end)) end--
  return asText(value.slice(start, end))
}

/** A UTF-8 continuation byte (10xxxxxx) in a byte string. */
function isContinuationByte (s: string, at: number): boolean {
  const c = s.charCodeAt(at)
  return c >= 0x80 && c <= 0xbf
}

function compileExclusion (e: RuleExclusion, i: number): CompiledExclusion {
  const where = `exclusions[${i}]`
  if (e === null || typeof e !== 'object') throw new TypeError(`waf-rules: option "${where}" must be an object`)
  let ids: IdRange[]
  try {
    ids = parseIdRanges(String(e.ruleId))
  } catch (err) {
    throw new TypeError(`waf-rules: option "${where}.ruleId": ${(err as Error).message}`)
  }
  if (e.prefix !== undefined && (typeof e.prefix !== 'string' || !e.prefix.startsWith('/'))) {
    throw new TypeError(`waf-rules: option "${where}.prefix" must be a path that starts with "/"`)
  }
  let target: TargetExclusion | undefined
  if (e.target !== undefined) {
    try {
      const ctl = parseCtl(`ruleRemoveTargetById=0;${String(e.target)}`)
      target = (ctl as { target: TargetExclusion }).target
    } catch (err) {
      throw new TypeError(`waf-rules: option "${where}.target": ${(err as Error).message}`)
    }
  }
  return { ids, target, prefix: e.prefix }
}
