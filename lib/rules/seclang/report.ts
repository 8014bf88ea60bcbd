/**
 * What loading SecLang files did, for the operator to read: how many rules run, and every
 * rule or construct that does not, with its reason. Nothing unsupported passes silently.
 */
export interface ReportItem {
  file: string
  line: number
  /** The rule id, when the item is a rule that has one. */
  id?: string
  reason: string
}

export interface SecLangReport {
  files: string[]
  /** Rules (a chain counts once) added to the rule set and run by the engine. */
  loaded: number
  /** Rules not loaded because the engine cannot run them faithfully. */
  unsupported: ReportItem[]
  /** Rules loaded without some construct (a target, a persistent setvar, an audit ctl). */
  partial: ReportItem[]
  /** Rules of phases 3–5 (response and logging): responses are not inspected. */
  skipped: ReportItem[]
  /** Syntax errors (the directive is dropped, the file goes on) and updates that found nothing to apply to. */
  ignored: ReportItem[]
  /**
   * Directives accepted with no effect here, each saying what the suite does instead (the audit
   * log is the attack log …), and settings worth seeing at start (SecRuleEngine DetectionOnly).
   */
  notices: ReportItem[]
  /** Audit-log actions (`auditlog`, `sanitiseArg` …) by name, and how often they occurred. */
  ignoredActions: Record<string, number>
  /** Rules removed by SecRuleRemoveById / ByTag / ByMsg. */
  removed: number
  /**
   * Rules left out of the rule set as built, because they can never run there: the CRS's
   * `TX:DETECTION_PARANOIA_LEVEL` guards above the level set at load, and what they skip
   * (lib/rules/unreachable.ts). 0 until the rule set is built.
   */
  unreachable: number
  /** The last SecRuleEngine value, as written (`DetectionOnly`), when one was loaded. */
  ruleEngine?: string
}

export function emptyReport (): SecLangReport {
  return { files: [], loaded: 0, unsupported: [], partial: [], skipped: [], ignored: [], notices: [], ignoredActions: {}, removed: 0, unreachable: 0 }
}

/** One line for a log: `SecLang: 512 rules loaded from 30 files, 3 unsupported, … (SecRuleEngine DetectionOnly)`. */
export function summarize (r: SecLangReport): string {
  const engine = r.ruleEngine === undefined ? '' : `; SecRuleEngine ${r.ruleEngine}`
  return `SecLang: ${r.loaded} rules loaded from ${r.files.length} files, ${r.unsupported.length} unsupported, ` +
    `${r.partial.length} partially supported, ${r.skipped.length} skipped (response/logging phases), ` +
    `${r.removed} removed, ${r.ignored.length} directives ignored, ${r.notices.length} notices` +
    `${r.unreachable > 0 ? `, ${r.unreachable} never run at the paranoia level set (left out)` : ''}${engine}`
}

const FIRST = 5

function firstIds (items: readonly ReportItem[]): string {
  const ids = items.map(i => i.id ?? `${i.file}:${i.line}`)
  return ids.slice(0, FIRST).join(', ') + (ids.length > FIRST ? ', …' : '')
}

/**
 * The lines an operator must see at start (the plugin logs them at warn level): one per kind of
 * rule that does not run as written, with its count and first ids, and one per ignored directive.
 */
export function warningLines (r: SecLangReport): string[] {
  const out: string[] = []
  if (r.unsupported.length > 0) out.push(`SecLang: ${r.unsupported.length} rules not loaded (unsupported): ${firstIds(r.unsupported)}`)
  if (r.partial.length > 0) out.push(`SecLang: ${r.partial.length} rules loaded without some construct (partial): ${firstIds(r.partial)}`)
  if (r.skipped.length > 0) out.push(`SecLang: ${r.skipped.length} rules skipped (response/logging phases): ${firstIds(r.skipped)}`)
  for (const i of r.ignored) out.push(`SecLang: ignored ${i.file}:${i.line}: ${i.reason}`)
  return out
}

/** The report as lines, one per item, for a log or a CLI. */
export function reportLines (r: SecLangReport): string[] {
  const out = [summarize(r)]
  const where = (i: ReportItem): string => `${i.file}:${i.line}${i.id === undefined ? '' : ` rule ${i.id}`}`
  for (const i of r.unsupported) out.push(`unsupported ${where(i)}: ${i.reason}`)
  for (const i of r.partial) out.push(`partial ${where(i)}: ${i.reason}`)
  for (const i of r.ignored) out.push(`ignored ${where(i)}: ${i.reason}`)
  for (const i of r.notices) out.push(`notice ${where(i)}: ${i.reason}`)
  return out
}
