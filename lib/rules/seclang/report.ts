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
  /** Directives with no meaning here (SecRuleEngine, SecRequestBodyAccess …), and parse errors. */
  ignored: ReportItem[]
  /** Audit-log actions (`auditlog`, `sanitiseArg` …) by name, and how often they occurred. */
  ignoredActions: Record<string, number>
  /** Rules removed by SecRuleRemoveById / ByTag / ByMsg. */
  removed: number
}

export function emptyReport (): SecLangReport {
  return { files: [], loaded: 0, unsupported: [], partial: [], skipped: [], ignored: [], ignoredActions: {}, removed: 0 }
}

/** One line for a log: `CRS: 512 rules loaded, 3 unsupported, 9 partial, 80 skipped (response phases)`. */
export function summarize (r: SecLangReport): string {
  return `SecLang: ${r.loaded} rules loaded from ${r.files.length} files, ${r.unsupported.length} unsupported, ` +
    `${r.partial.length} partially supported, ${r.skipped.length} skipped (response/logging phases), ` +
    `${r.removed} removed, ${r.ignored.length} directives ignored`
}

/** The report as lines, one per item, for a log or a CLI. */
export function reportLines (r: SecLangReport): string[] {
  const out = [summarize(r)]
  const where = (i: ReportItem): string => `${i.file}:${i.line}${i.id === undefined ? '' : ` rule ${i.id}`}`
  for (const i of r.unsupported) out.push(`unsupported ${where(i)}: ${i.reason}`)
  for (const i of r.partial) out.push(`partial ${where(i)}: ${i.reason}`)
  for (const i of r.ignored) out.push(`ignored ${where(i)}: ${i.reason}`)
  return out
}
