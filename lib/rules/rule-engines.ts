import type { CheckOptions, CheckResult, RuleEngine } from './engine.js'
import type { RequestInput } from './input.js'
import type { CompiledRule } from './model.js'
import { hasResponseRules } from './response.js'
import type { RuleSet } from './ruleset.js'
import type { SecLangReport } from './seclang/index.js'
import { buildEngine, logReport, validateDomainRules } from './build-engine.js'
import type { EngineOptions, ReportLogger } from './build-engine.js'
import { resultCacheOf } from './result-cache.js'
import type { ResultCacheStats } from './result-cache.js'

/** An engine and what its SecLang files did. */
export interface BuiltEngine { engine: RuleEngine, seclang: SecLangReport | undefined }

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
  readonly domains: ReadonlyMap<string, BuiltEngine>
  /** What the prefilter's result cache (shared by these engines) holds and did; undefined when off (resultCacheBytes 0). */
  resultCacheStats(): ResultCacheStats | undefined
}

/**
 * One registration's engines, built once at start-up: its own, and one per domain with rule files
 * of its own (`domainRules`), each load report logged as it is built.
 */
export class RuleEngines {
  /** Whether any engine has rules in phases 3–5 (without, no response is inspected at all). */
  readonly responsePhases: boolean

  private constructor (readonly engine: RuleEngine, readonly seclang: SecLangReport | undefined, readonly domains: ReadonlyMap<string, BuiltEngine>) {
    this.responsePhases = hasResponseRules(engine.ruleSet) || [...domains.values()].some(d => hasResponseRules(d.engine.ruleSet))
  }

  static async build (opts: EngineOptions, log: ReportLogger): Promise<RuleEngines> {
    // One cache for the registration: its bound holds whatever the number of domain engines.
    const cache = resultCacheOf(opts.resultCacheBytes)
    const { engine, seclang } = await buildEngine(opts, undefined, cache)
    logReport(log, seclang, '')
    const domains = new Map<string, BuiltEngine>()
    for (const [domain, files] of Object.entries(validateDomainRules(opts.domainRules))) {
      const built = await buildEngine(opts, files, cache)
      logReport(log, built.seclang, `${domain}: `)
      domains.set(domain, built)
    }
    return new RuleEngines(engine, seclang, domains)
  }

  /** The engine of a request's domain. */
  for (domain: string): RuleEngine {
    return this.domains.size === 0 ? this.engine : (this.domains.get(domain)?.engine ?? this.engine)
  }

  /** What `app.wafRules` shows. */
  api (): WafRules {
    const engine = this.engine
    return {
      check: (input, o) => engine.check(input, o),
      rules: engine.ruleSet.rules,
      ruleSet: engine.ruleSet,
      engine,
      seclang: this.seclang,
      domains: this.domains,
      resultCacheStats: () => engine.resultCache?.stats()
    }
  }
}
