import { defaultRulesDir } from './default-rules.js'
import { RuleEngine } from './engine.js'
import { loadRules } from './loaders/index.js'
import type { RulesOptions } from './options.js'
import type { ResultCache } from './result-cache.js'
import { RuleSetBuilder } from './ruleset.js'
// SecLang support: registers the `.conf` loader and the SecLang operators.
import { configureSecLang, secLangReport, secLangResponseSettings, summarize, validateCrsOptions, warningLines } from './seclang/index.js'
import type { CrsOptions, SecLangReport } from './seclang/index.js'

/** What the rule-check engine is built from: the rule options, the CRS settings, per-domain rule files. */
export interface EngineOptions extends RulesOptions {
  /** CRS settings (paranoia levels, anomaly threshold, TX variables) for SecLang rule sets. */
  crs?: CrsOptions
  /**
   * Rule files of one domain (lower-cased host, no port): the domain gets an engine of its own,
   * with these files loaded after `rules` (as a virtual host's configuration over the main one:
   * its SecRuleEngine, SecRuleRemove* and SecRuleUpdate* win) and before the default rules.
   */
  domainRules?: Record<string, string | string[]>
}

/** Where the load report goes (a pino logger, the app's). */
export interface ReportLogger {
  info(obj: object, msg: string): void
  warn(msg: string): void
}

/** `resultCache`: the registration's, shared by its engines (undefined: off). */
export async function buildEngine (opts: EngineOptions, domainFiles?: string | string[], resultCache?: ResultCache): Promise<{ engine: RuleEngine, seclang: SecLangReport | undefined }> {
  const builder = new RuleSetBuilder()
  if (opts.crs !== undefined) configureSecLang(builder, validateCrsOptions(opts.crs))
  // The operator's files first: their exclusion rules (ctl:ruleRemoveById in phase 1, as the
  // CRS's REQUEST-900 files write them) then run before every default rule, and their
  // SecRuleRemove* / SecRuleUpdate* reach the defaults loaded after them.
  if (opts.rules !== undefined) await loadRules(opts.rules, builder)
  if (domainFiles !== undefined) await loadRules(domainFiles, builder)
  if (opts.defaultRules !== false) await loadRules(defaultRulesDir(), builder)
  const set = builder.build()
  const report = secLangReport(builder)
  // The plugin's options win over the SecResponseBody* directives of the files.
  const response = secLangResponseSettings(builder)
  if (opts.limits?.responseBodyBytes !== undefined) response.bodyBytes = opts.limits.responseBodyBytes
  if (opts.responseBodyTypes !== undefined) response.types = new Set(opts.responseBodyTypes.map(t => t.toLowerCase()))
  const engine = new RuleEngine(set, {
    response,
    mode: opts.mode,
    denyStatus: opts.denyStatus,
    maxPayload: opts.maxPayload,
    limits: opts.limits === undefined ? undefined : { args: opts.limits.args, valueBytes: opts.limits.valueBytes, bodyBytes: opts.limits.bodyBytes },
    limitAction: opts.limits?.action,
    exclusions: opts.exclusions,
    resultCache,
    resultCacheBytes: resultCache === undefined ? 0 : undefined
  })
  return { engine, seclang: report.files.length > 0 ? report : undefined }
}

/** The load report at start-up: the summary at info, what does not run as written at warn (which a production logger shows). */
export function logReport (log: ReportLogger, seclang: SecLangReport | undefined, prefix: string): void {
  if (seclang === undefined) return
  log.info({ seclang: { loaded: seclang.loaded, unsupported: seclang.unsupported.length } }, prefix + summarize(seclang))
  for (const line of warningLines(seclang)) log.warn(prefix + line)
}

export function validateDomainRules (v: EngineOptions['domainRules']): Record<string, string | string[]> {
  if (v === undefined) return {}
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`waf-rules: option "domainRules" must map domains to rule files`)
  const out: Record<string, string | string[]> = {}
  for (const [domain, files] of Object.entries(v)) {
    const list = typeof files === 'string' ? [files] : files
    if (!Array.isArray(list) || list.length === 0 || list.some(f => typeof f !== 'string' || f.length === 0)) {
      throw new TypeError(`waf-rules: option "domainRules.${domain}" must be a path, or an array of paths, to rule files or folders`)
    }
    out[domain.toLowerCase()] = list
  }
  return out
}
