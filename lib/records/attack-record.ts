import type { IncomingHttpHeaders } from 'node:http'
import type { AttackEntry, WafAction, WafContext, WafMode } from '../lifecycle/context.js'
import { REDACTED } from '../redaction.js'
import { AttackRedactor } from '../rules/attack-redaction.js'
import { asText } from '../text/escape.js'

/**
 * One entry of an attack record (DESIGN.md "Wire formats: attack"): the match as the request
 * context holds it (`AttackEntry`, documented there), with the record's snake_case names for the
 * two camelCase fields and without the ModSecurity metadata, which only the modsec-json record
 * carries. `location` is cut to MAX_LOCATION characters; a redacted header's value is kept out of
 * every field (see AttackRedactor).
 */
export interface AttackRecordEntry extends Omit<AttackEntry, 'ruleId' | 'detectType' | 'ver' | 'rev' | 'maturity' | 'accuracy'> {
  rule_id: string
  detect_type: string
}

export interface AttackRecord {
  type: 'attack'
  id: string
  /** Epoch ms when the request arrived. */
  time: number
  host: string
  client_ip: string
  request: { method: string, uri: string, headers?: Record<string, string | string[]> }
  mode: WafMode
  /** What happened to the request: `deny`, or `log` when it went through. */
  action: WafAction
  attacks: AttackRecordEntry[]
  /** The cluster worker id, or 0. */
  worker: number
  /** The machine (the host name unless configured). */
  node: string
}

/** The request as the attack record needs it (an IncomingMessage is one). */
export interface AttackSourceRequest {
  method?: string | undefined
  url?: string | undefined
  headers: IncomingHttpHeaders
}

/** Longer locations (a key path deep in a JSON body) are cut to this many characters and `…`. */
export const MAX_LOCATION = 256

function headersOf (headers: IncomingHttpHeaders, redact: ReadonlySet<string>): Record<string, string | string[]> {
  const out = Object.create(null) as Record<string, string | string[]>
  for (const k in headers) {
    const v = headers[k]
    if (v === undefined) continue
    out[k] = redact.has(k) ? REDACTED : typeof v === 'string' ? asText(v) : v.map(asText)
  }
  return out
}

function capLocation (location: string): string {
  return location.length <= MAX_LOCATION ? location : location.slice(0, MAX_LOCATION - 1) + '…'
}

/**
 * The attack record of a request. Header names are lower-cased, values are text (valid UTF-8
 * decoded, anything else as latin1 characters, as payloads are), and the redacted ones read `REDACTED`; `includeHeaders: false` leaves them out.
 * A redacted header's value is kept out of every entry too (see AttackRedactor), and a location
 * is cut to MAX_LOCATION characters.
 */
export function buildAttackRecord (
  req: AttackSourceRequest,
  ctx: WafContext,
  clientIp: string,
  o: { redact: ReadonlySet<string>, includeHeaders: boolean, worker: number, node: string }
): AttackRecord {
  const request: AttackRecord['request'] = { method: req.method ?? '', uri: asText(req.url ?? '') }
  if (o.includeHeaders) request.headers = headersOf(req.headers, o.redact)
  const redactor = new AttackRedactor(req.headers, o.redact, asText)
  return {
    type: 'attack',
    id: ctx.id,
    time: ctx.startedAt,
    host: asText(ctx.domain),
    client_ip: clientIp,
    request,
    mode: ctx.policy.mode,
    action: ctx.action,
    attacks: ctx.attacks.map(a => {
      const e: AttackRecordEntry = {
        rule_id: a.ruleId,
        msg: a.msg,
        detect_type: a.detectType,
        severity: a.severity,
        tags: a.tags,
        location: asText(a.location),
        payload: a.payload,
        action: a.action
      }
      if (a.disruptive !== undefined) e.disruptive = a.disruptive
      if (a.score !== undefined) e.score = a.score
      if (a.phase !== undefined) e.phase = a.phase
      if (a.logdata !== undefined) e.logdata = asText(a.logdata)
      if (a.paranoia !== undefined) e.paranoia = a.paranoia
      if (a.file !== undefined) e.file = a.file
      if (a.line !== undefined) e.line = a.line
      redactor.apply(e)
      e.location = capLocation(e.location)
      return e
    }),
    worker: o.worker,
    node: o.node
  }
}
