import type { AccessRecord } from './access-record.js'
import type { AttackRecord } from './attack-record.js'
import type { ForensicRecord } from './forensic-record.js'
import type { ModsecAuditRecord } from '../rules/modsec-audit.js'
import type { HeartbeatReport } from '../heartbeat/heartbeat.js'

/**
 * The record type of each standard stream, which types `app.wafLog`: a filter's `policy` and
 * `path`, and an `onWrite` listener, get the record of the stream they are added to. Records of
 * any other stream are LogRecord.
 */
export interface WafStreams {
  access: AccessRecord
  /** The attack record, or with waf-attack-log's `format: 'modsec-json'` ModSecurity's audit record; `'transaction' in rec` tells them apart. */
  attack: AttackRecord | ModsecAuditRecord
  forensic: ForensicRecord
  heartbeat: HeartbeatReport
}
