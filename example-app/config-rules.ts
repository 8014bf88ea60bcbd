import { resolve } from 'node:path'
import type { RuleExclusion } from '../lib/rules/engine.js'
import { validateCrsOptions } from '../lib/rules/seclang/options.js'
import type { CrsOptions } from '../lib/rules/seclang/options.js'

/**
 * The gateway's `rules` section beyond files and defaultRules: `exclusions` (the plugin's
 * `exclusions`), `crs` (paranoia levels, threshold and any CRS `tx.` setting), and the rule files
 * of one domain (`domains.<host>.ruleFiles`). Errors name the setting, as every gateway setting's.
 */
export interface RulesSection {
  files: string[]
  defaultRules: boolean
  crs: CrsOptions | undefined
  exclusions: RuleExclusion[]
  /** Bytes of a request body the rule check inspects (the rules plugin's `limits.bodyBytes`; 1 MiB when absent). */
  bodyBytes?: number
  /** Bytes of a response body phase 4 reads, and the media types it reads (the rules plugin's defaults when absent). */
  responseBodyBytes?: number
  responseBodyTypes?: string[]
  /** Bytes of prefilter results remembered across requests per worker (the rules plugin's resultCacheBytes; 16 MiB when absent, 0: off). */
  resultCacheBytes?: number
}

/** What config-reader.ts's Reader offers this section. */
export interface SectionReader {
  fail(path: string, expected: string, got: unknown): never
  keys(obj: Record<string, unknown>, path: string, allowed: readonly string[]): void
  obj(v: unknown, path: string): Record<string, unknown>
  str(v: unknown, path: string): string | undefined
  bool(v: unknown, path: string): boolean | undefined
  int(v: unknown, path: string, min: number, max: number): number | undefined
  strings(v: unknown, path: string): string[] | undefined
}

export const RULES_KEYS = ['files', 'defaultRules', 'crs', 'exclusions', 'bodyBytes', 'responseBodyBytes', 'responseBodyTypes', 'resultCacheBytes'] as const

/** `base`: the folder relative paths are read from (the config file's, or the working directory). */
export function readRulesSection (r: SectionReader, raw: unknown, where: string, base: string, fail: (message: string) => never): RulesSection {
  const rules = r.obj(raw, 'rules')
  r.keys(rules, 'rules', RULES_KEYS)
  let crs: CrsOptions | undefined
  if (rules.crs !== undefined && rules.crs !== null) {
    try {
      crs = validateCrsOptions(rules.crs, `${where}: "rules.crs`)
    } catch (err) {
      fail((err as Error).message)
    }
  }
  const exclusions: RuleExclusion[] = []
  if (rules.exclusions !== undefined && rules.exclusions !== null) {
    if (!Array.isArray(rules.exclusions)) r.fail('rules.exclusions', 'a list of { ruleId, target?, prefix? }', rules.exclusions)
    rules.exclusions.forEach((v: unknown, i: number) => {
      const path = `rules.exclusions[${i}]`
      const e = r.obj(v, path)
      r.keys(e, path, ['ruleId', 'target', 'prefix'])
      const id = e.ruleId
      if ((typeof id !== 'number' || !Number.isInteger(id)) && (typeof id !== 'string' || !/^\d+(?:-\d+)?$/.test(id))) r.fail(`${path}.ruleId`, 'a rule id or an id range such as 942100-942199', id)
      const x: RuleExclusion = { ruleId: id }
      const target = r.str(e.target, `${path}.target`)
      const prefix = r.str(e.prefix, `${path}.prefix`)
      if (prefix !== undefined && !prefix.startsWith('/')) r.fail(`${path}.prefix`, 'a path that starts with "/"', prefix)
      if (target !== undefined) x.target = target
      if (prefix !== undefined) x.prefix = prefix
      exclusions.push(x)
    })
  }
  const out: RulesSection = {
    files: ruleFiles(r, rules.files, 'rules.files', base) ?? [],
    defaultRules: r.bool(rules.defaultRules, 'rules.defaultRules') ?? true,
    crs,
    exclusions
  }
  const requestBytes = r.int(rules.bodyBytes, 'rules.bodyBytes', 1, 1 << 30)
  if (requestBytes !== undefined) out.bodyBytes = requestBytes
  const responseBytes = r.int(rules.responseBodyBytes, 'rules.responseBodyBytes', 1, 1 << 30)
  const types = r.strings(rules.responseBodyTypes, 'rules.responseBodyTypes')
  if (responseBytes !== undefined) out.responseBodyBytes = responseBytes
  if (types !== undefined) out.responseBodyTypes = types
  const cacheBytes = r.int(rules.resultCacheBytes, 'rules.resultCacheBytes', 0, 2 ** 40)
  if (cacheBytes !== undefined) out.resultCacheBytes = cacheBytes
  return out
}

/** A list of rule files or folders, resolved against `base`. */
export function ruleFiles (r: SectionReader, v: unknown, path: string, base: string): string[] | undefined {
  return r.strings(v, path)?.map(f => resolve(base, f))
}
