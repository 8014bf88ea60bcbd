import type { WafMode, WafPolicy, PolicyResolver } from '../lifecycle/context.js'
import type { RuleExclusion } from './engine.js'
import type { RuleLimits } from './request-data.js'
import { validateResultCacheBytes } from './result-cache.js'

/** The options of the rules plugin that are not about Fastify (checked here, framework-free). */
export interface RulesOptions {
  /** Rule files or folders (`.yaml`, `.yml`, `.json`, SecLang `.conf`). */
  rules?: string | string[]
  /** Load the rule set shipped with the package (default true). */
  defaultRules?: boolean
  /** The default mode (default `block`). */
  mode?: WafMode
  /** Per-domain policies: a table from domain to policy, or a function of the request. */
  policies?: Record<string, Partial<WafPolicy>> | PolicyResolver
  /** Status of a deny (403). */
  denyStatus?: number
  /** Payload length kept in attack entries (256). */
  maxPayload?: number
  /** What is inspected; `action` says what a cut does in block mode (`deny`, the default, or `log`). */
  limits?: Partial<RuleLimits> & { action?: 'log' | 'deny', responseBodyBytes?: number }
  /** Media types whose response bodies phase 4 reads (default text/plain, text/html, text/xml, application/json). */
  responseBodyTypes?: string[]
  exclusions?: RuleExclusion[]
  /** Register a parser for urlencoded bodies when the app has none (default true). */
  parseUrlencoded?: boolean
  /**
   * Bytes of prefilter results remembered across requests, shared by the registration's
   * engines (default 16 MiB; 0 turns the cache off). See docs/crs.md.
   */
  resultCacheBytes?: number
}

const OWNER = 'waf-rules'
const MODES: readonly WafMode[] = ['block', 'detect', 'off']

function positiveInt (v: unknown, name: string): void {
  if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) throw new TypeError(`${OWNER}: option "${name}" must be a whole number >= 1`)
}

/** Throws a TypeError naming the option for anything wrong. */
export function validateRulesOptions (o: RulesOptions): void {
  if (o.rules !== undefined) {
    const list = typeof o.rules === 'string' ? [o.rules] : o.rules
    if (!Array.isArray(list) || list.length === 0 || list.some(p => typeof p !== 'string' || p.length === 0)) {
      throw new TypeError(`${OWNER}: option "rules" must be a path, or an array of paths, to rule files or folders`)
    }
  }
  for (const k of ['defaultRules', 'parseUrlencoded'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new TypeError(`${OWNER}: option "${k}" must be true or false`)
  }
  if (o.mode !== undefined && !MODES.includes(o.mode)) throw new TypeError(`${OWNER}: option "mode" is ${JSON.stringify(o.mode)}; expected one of ${MODES.join(', ')}`)
  if (o.denyStatus !== undefined && (!Number.isInteger(o.denyStatus) || o.denyStatus < 400 || o.denyStatus > 599)) {
    throw new TypeError(`${OWNER}: option "denyStatus" must be an HTTP status from 400 to 599`)
  }
  positiveInt(o.maxPayload, 'maxPayload')
  validateResultCacheBytes(o.resultCacheBytes, OWNER)
  if (o.limits !== undefined) {
    if (o.limits === null || typeof o.limits !== 'object') throw new TypeError(`${OWNER}: option "limits" must be an object`)
    for (const k of Object.keys(o.limits)) {
      if (!['args', 'valueBytes', 'bodyBytes', 'responseBodyBytes', 'action'].includes(k)) throw new TypeError(`${OWNER}: option "limits.${k}" is not a limit (args, valueBytes, bodyBytes, responseBodyBytes, action)`)
    }
    positiveInt(o.limits.args, 'limits.args')
    positiveInt(o.limits.valueBytes, 'limits.valueBytes')
    positiveInt(o.limits.bodyBytes, 'limits.bodyBytes')
    positiveInt(o.limits.responseBodyBytes, 'limits.responseBodyBytes')
    if (o.limits.action !== undefined && o.limits.action !== 'log' && o.limits.action !== 'deny') throw new TypeError(`${OWNER}: option "limits.action" must be "log" or "deny"`)
  }
  if (o.responseBodyTypes !== undefined && (!Array.isArray(o.responseBodyTypes) || o.responseBodyTypes.some(t => typeof t !== 'string' || !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(t)))) {
    throw new TypeError(`${OWNER}: option "responseBodyTypes" must be an array of media types ("text/html")`)
  }
  if (o.exclusions !== undefined && !Array.isArray(o.exclusions)) throw new TypeError(`${OWNER}: option "exclusions" must be an array of { ruleId, target?, prefix? }`)
  if (o.policies !== undefined && typeof o.policies !== 'function') {
    if (o.policies === null || typeof o.policies !== 'object' || Array.isArray(o.policies)) {
      throw new TypeError(`${OWNER}: option "policies" must map domains to policies, or be a function of the request`)
    }
    for (const [domain, p] of Object.entries(o.policies)) {
      if (p === null || typeof p !== 'object') throw new TypeError(`${OWNER}: option "policies.${domain}" must be an object`)
      if (p.mode !== undefined && !MODES.includes(p.mode)) throw new TypeError(`${OWNER}: option "policies.${domain}.mode" must be one of ${MODES.join(', ')}`)
      if (p.rules !== undefined && typeof p.rules !== 'boolean') throw new TypeError(`${OWNER}: option "policies.${domain}.rules" must be true or false`)
    }
  }
}
