import type { AttackEntry } from '../lifecycle/context.js'
import { bytesToUtf8 } from './regex.js'
import type { RuleMatch } from './transaction.js'

/** ModSecurity cuts logdata to 512 bytes; so does the attack entry. */
const LOGDATA_MAX = 512
const PARANOIA_TAG = /^paranoia-level\/([1-4])$/

/** What an attack entry says of the rule beyond the match: logdata, paranoia level, file, line, metadata. */
export function addRuleFacts (e: AttackEntry, m: RuleMatch): void {
  const rule = m.rule
  if (m.logdata !== '') e.logdata = bytesToUtf8(m.logdata.length > LOGDATA_MAX ? m.logdata.slice(0, LOGDATA_MAX) : m.logdata)
  for (const t of rule.tags) {
    const p = PARANOIA_TAG.exec(t)
    if (p !== null) {
      e.paranoia = Number(p[1])
      break
    }
  }
  e.file = rule.file
  if (rule.line !== undefined) e.line = rule.line
  const meta = rule.meta
  if (meta.ver !== undefined) e.ver = meta.ver
  if (meta.rev !== undefined) e.rev = meta.rev
  if (meta.maturity !== undefined) e.maturity = meta.maturity
  if (meta.accuracy !== undefined) e.accuracy = meta.accuracy
}
