/**
 * CRS settings given as plugin options instead of (or on top of) crs-setup.conf. They become
 * one SecAction that sets the TX variables the CRS reads, placed just before the CRS's own
 * initialization (the first rule with an id in 901000–901999), so it runs after
 * crs-setup.conf's SecActions and wins over them, and REQUEST-901 keeps its defaults for
 * everything not set. Without REQUEST-901 in the rule set there is nothing to configure and
 * the options have no effect (the report says so).
 */
export interface CrsOptions {
  /** Blocking paranoia level, 1–4 (`tx.blocking_paranoia_level`). */
  paranoia?: number
  /** Detection paranoia level, at least `paranoia` (`tx.detection_paranoia_level`); defaults to `paranoia`. */
  detectionParanoia?: number
  /** `tx.inbound_anomaly_score_threshold` (CRS default 5). */
  anomalyThreshold?: number
  /** `tx.outbound_anomaly_score_threshold` (CRS default 4): the response score at which rule 959100 denies. */
  outboundAnomalyThreshold?: number
  /** Any other TX variable crs-setup.conf would set: `{ crs_validate_utf8_encoding: 1, arg_length: 400 }`. */
  tx?: Readonly<Record<string, string | number | boolean>>
}

/** Synthetic rule ids, outside the CRS's reserved 900000–999999. */
export const CRS_OPTIONS_RULE_ID = 8999001

function level (o: Record<string, unknown>, name: string, where: string): number | undefined {
  const v = o[name]
  if (v === undefined) return undefined
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 4) throw new TypeError(`${where}.${name}" must be 1, 2, 3 or 4`)
  return v as number
}

/** Checks the options; errors name the option: `waf-rules: option "crs.paranoia" must be …`. */
export function validateCrsOptions (value: unknown, where = 'waf-rules: option "crs'): CrsOptions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${where}" must be an object`)
  const o = value as Record<string, unknown>
  for (const k of Object.keys(o)) {
    if (!['paranoia', 'detectionParanoia', 'anomalyThreshold', 'outboundAnomalyThreshold', 'tx'].includes(k)) throw new TypeError(`${where}.${k}" is not an option (paranoia, detectionParanoia, anomalyThreshold, outboundAnomalyThreshold, tx)`)
  }
  const out: CrsOptions = {}
  const paranoia = level(o, 'paranoia', where)
  const detection = level(o, 'detectionParanoia', where)
  if (paranoia !== undefined) out.paranoia = paranoia
  if (detection !== undefined) {
    if (detection < (paranoia ?? 1)) throw new TypeError(`${where}.detectionParanoia" must be at least paranoia (${paranoia ?? 1})`)
    out.detectionParanoia = detection
  }
  for (const k of ['anomalyThreshold', 'outboundAnomalyThreshold'] as const) {
    const t = o[k]
    if (t === undefined) continue
    if (!Number.isInteger(t) || (t as number) < 1) throw new TypeError(`${where}.${k}" must be a whole number >= 1`)
    out[k] = t as number
  }
  if (o.tx !== undefined) {
    if (o.tx === null || typeof o.tx !== 'object' || Array.isArray(o.tx)) throw new TypeError(`${where}.tx" must be an object of TX variables`)
    const tx: Record<string, string | number | boolean> = {}
    for (const [k, v] of Object.entries(o.tx as Record<string, unknown>)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new TypeError(`${where}.tx.${k}" is not a TX variable name`)
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new TypeError(`${where}.tx.${k}" must be a string, number or boolean`)
      if (typeof v === 'string' && /[\r\n]/.test(v)) throw new TypeError(`${where}.tx.${k}" must be one line`)
      tx[k] = v
    }
    out.tx = tx
  }
  return out
}

/** The `setvar` texts the options stand for. */
export function crsSetVars (o: CrsOptions): string[] {
  const out: string[] = []
  const vars: Record<string, string> = {}
  for (const [k, v] of Object.entries(o.tx ?? {})) vars[k.toLowerCase()] = typeof v === 'boolean' ? (v ? '1' : '0') : String(v)
  if (o.paranoia !== undefined) vars.blocking_paranoia_level = String(o.paranoia)
  if (o.detectionParanoia !== undefined || o.paranoia !== undefined) vars.detection_paranoia_level = String(o.detectionParanoia ?? o.paranoia)
  if (o.anomalyThreshold !== undefined) vars.inbound_anomaly_score_threshold = String(o.anomalyThreshold)
  if (o.outboundAnomalyThreshold !== undefined) vars.outbound_anomaly_score_threshold = String(o.outboundAnomalyThreshold)
  for (const [k, v] of Object.entries(vars)) out.push(`tx.${k}=${v}`)
  return out
}
