import RE2 from 're2'
import type { FtwOutput } from './ftw-yaml.js'

/** What one stage produced: the response, and the attack log entries of its request. */
export interface StageResult {
  status: number
  error: string | undefined
  ids: string[]
  /** The entries rendered as ModSecurity's error log shows a match, for match_regex. */
  logLines: string[]
}

/**
 * go-ftw's verdict on one stage: undefined when it passes, else why not. Every expected id
 * must be in the attack log of the request, no unexpected id may be, the status (when the
 * test gives one) must be one of those listed, and match_regex must match a log line.
 */
export function judgeStage (out: FtwOutput, r: StageResult): string | undefined {
  const problems: string[] = []
  if (out.expect_error === true && r.error === undefined) problems.push(`expected an error, got status ${r.status}`)
  if (out.expect_error !== true && r.error !== undefined && out.status !== undefined) problems.push(`error: ${r.error}`)
  if (out.status !== undefined) {
    const want = Array.isArray(out.status) ? out.status : [out.status]
    if (!want.includes(r.status)) problems.push(`status ${r.status}, expected ${want.join(' or ')}`)
  }
  const log = out.log ?? {}
  const missing = (log.expect_ids ?? []).map(String).filter(id => !r.ids.includes(id))
  if (missing.length > 0) problems.push(`missing ${missing.join(',')}`)
  const unexpected = (log.no_expect_ids ?? []).map(String).filter(id => r.ids.includes(id))
  if (unexpected.length > 0) problems.push(`unexpected ${unexpected.join(',')}`)
  if (log.match_regex !== undefined && !r.logLines.some(l => new RE2(log.match_regex as string).test(l))) problems.push(`no log line matches /${log.match_regex}/`)
  if (log.no_match_regex !== undefined && r.logLines.some(l => new RE2(log.no_match_regex as string).test(l))) problems.push(`a log line matches /${log.no_match_regex}/`)
  return problems.length === 0 ? undefined : problems.join('; ')
}

/** An attack entry as a ModSecurity error-log line: `[id "942100"] [msg "…"] [data "…"] …`. */
export function logLine (e: { rule_id: string, msg: string, payload: string, logdata?: string, severity: string, location: string, tags?: string[] }): string {
  const q = (s: string): string => s.replace(/"/g, '\\"')
  // [data] is the rule's logdata, as ModSecurity writes it; the payload for a rule without one.
  // ModSecurity's error log escapes control bytes in [data] as \xHH (log_escape).
  const data = q(e.logdata ?? e.payload).replace(/[\x00-\x1f\x7f]/g, c => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  return `ModSecurity: Warning. Matched at ${e.location}. [id "${e.rule_id}"] [msg "${q(e.msg)}"] [data "${data}"] [severity "${e.severity.toUpperCase()}"]` +
    (e.tags ?? []).map(t => ` [tag "${q(t)}"]`).join('')
}
