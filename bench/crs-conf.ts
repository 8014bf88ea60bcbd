import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { crsRuleFiles } from './crs-rules.js'
import { MODSECURITY_CONF } from './nginx.js'

/**
 * The one SecLang file both sides of the CRS comparison load (bench/gateway-crs.ts): the
 * gateway as `rules.files`, nginx's ModSecurity as `modsecurity_rules_file`. Debian's
 * recommended ModSecurity configuration, switched to blocking, then the CRS (v4 from the corpus,
 * else Debian's 3.3: crs-rules.ts) at an explicit paranoia level. What each side cannot run of
 * it is in its own report (the gateway's SecLang report, nginx's error log).
 */
export interface CrsConf {
  /** The file to load. */
  file: string
  /** E.g. `CRS v4 (corpus) PL1`. */
  label: string
  /** Where ModSecurity writes its audit log (the gateway writes its attack log to its channel). */
  auditLog: string
}

export function writeCrsConf (dir: string, paranoia: number): CrsConf | undefined {
  const crs = crsRuleFiles()
  if (crs === undefined) return undefined
  const [setup, rules] = crs.paths
  const v4 = crs.label.startsWith('CRS v4')
  const auditLog = join(dir, 'modsec_audit.log')
  const file = join(dir, 'waf-crs.conf')
  writeFileSync(file, [
    `Include ${MODSECURITY_CONF}`,
    // Debian's file says DetectionOnly: both sides block.
    'SecRuleEngine On',
    // Debian's file says On; nothing of a benchmark leaves the machine.
    'SecStatusEngine Off',
    // RelevantOnly (Debian's), Serial, parts ABIJDEFHZ: a record for each request answered 4xx (but 404) or 5xx.
    `SecAuditLog ${auditLog}`,
    `Include ${setup}`,
    // crs-setup.conf leaves the paranoia level to its default (1); said here, so both sides run the same.
    `SecAction "id:900000,phase:1,pass,t:none,nolog,setvar:tx.${v4 ? 'blocking_paranoia_level' : 'paranoia_level'}=${paranoia}"`,
    `Include ${rules}/*.conf`,
    ''
  ].join('\n'))
  return { file, label: `${crs.label.replace(/ \(.*\)$/, '')} PL${paranoia}`, auditLog }
}
