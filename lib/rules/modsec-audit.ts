import { createHash } from 'node:crypto'
import { hostname } from 'node:os'
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import { nextHeaderLine } from '../text/header-lines.js'
import type { HeaderLine } from '../text/header-lines.js'
import { responseHeadBlock } from '../http2.js'
import type { AttackEntry, WafContext, WafMode } from '../lifecycle/context.js'
import { asText } from '../text/escape.js'
import { REDACTED } from '../redaction.js'
import type { LogRecord } from '../log/types.js'
import { AttackRedactor } from './attack-redaction.js'
import type { CompiledRule } from './model.js'

/**
 * ModSecurity v3's JSON audit record (`SecAuditLogFormat JSON`, parts ABIJDEFHZ) for a request
 * with logged matches, so that pipelines built for libmodsecurity3's audit log (Wazuh, Graylog,
 * ELK) read this one. Field by field as libmodsecurity 3.0.9 writes it behind nginx; what
 * differs is in docs/crs.md ("The modsec-json audit record").
 */
export interface ModsecMessage {
  message: string
  details: {
    match: string
    reference: string
    ruleId: string
    file: string
    lineNumber: string
    data: string
    severity: string
    ver: string
    rev: string
    tags: string[]
    maturity: string
    accuracy: string
  }
}

export interface ModsecAuditRecord {
  transaction: {
    client_ip: string
    time_stamp: string
    server_id: string
    client_port: number
    host_ip: string
    host_port: number
    unique_id: string
    request: { method: string, http_version: number, uri: string, headers: Record<string, string> }
    response: { http_code: number, headers: Record<string, string> }
    producer: { modsecurity: string, connector: string, secrules_engine: string, components: string[] }
    messages: ModsecMessage[]
  }
}

/** The request side as the record needs it (an IncomingMessage is one). */
export interface ModsecSourceRequest {
  method?: string | undefined
  url?: string | undefined
  httpVersion?: string | undefined
  headers: IncomingHttpHeaders
  /** Names as received, with their values: `['Host', 'x', …]`. */
  rawHeaders?: string[] | undefined
  socket?: { localAddress?: string | undefined, localPort?: number | undefined } | null
}

/** The response side (a ServerResponse); absent for a request the parser refused. */
export interface ModsecSourceResponse {
  statusCode: number
}

export interface ModsecAuditOptions {
  redact: ReadonlySet<string>
  clientIp: string
  clientPort: number
  /** The status logged when there is no response (a request the parser refused: 400). */
  status: number
  /** The rule of an entry, for its operator (`match`). */
  rule: (id: string) => CompiledRule | undefined
  /** SecComponentSignature values of the rule set. */
  components: readonly string[]
  producer: string
  connector: string
}

const ENGINE: Record<WafMode, string> = { block: 'Enabled', detect: 'DetectionOnly', off: 'Disabled' }
/** ModSecurity's severity numbers (0 EMERGENCY … 7 DEBUG). */
const SEVERITY: Record<string, string> = { emergency: '0', alert: '1', critical: '2', error: '3', warning: '4', notice: '5', info: '6', debug: '7' }
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
/** libmodsecurity shows an operator's parameter up to this many characters. */
const PARAMETER_MAX = 200

const two = (n: number): string => String(n).padStart(2, '0')

/** `Sun Dec  6 20:53:57 2026`: local time, as libmodsecurity's strftime("%a %b %e %H:%M:%S %Y"). */
export function modsecTimeStamp (ms: number): string {
  const d = new Date(ms)
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`
}

let serverId: string | undefined
/** A stable id of this host (libmodsecurity's is a SHA-1 too). */
function serverIdOf (): string {
  serverId ??= createHash('sha1').update(hostname()).digest('hex')
  return serverId
}

function requestHeaders (req: ModsecSourceRequest, redact: ReadonlySet<string>): Record<string, string> {
  const out = Object.create(null) as Record<string, string>
  const raw = req.rawHeaders
  if (raw !== undefined) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!
      // A repeated header keeps its last value, as libmodsecurity's JSON object does.
      out[name] = redact.has(name.toLowerCase()) ? REDACTED : asText(raw[i + 1]!)
    }
    return out
  }
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue
    out[k] = redact.has(k) ? REDACTED : asText(typeof v === 'string' ? v : v.join(', '))
  }
  return out
}

/** The response headers as they went out, names as sent: parsed from the head block Node wrote (Fastify sends with writeHead, whose headers getHeaders() does not hold). */
function responseHeaders (res: ModsecSourceResponse | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>
  if (res === undefined) return out
  const block = responseHeadBlock(res as unknown as ServerResponse)
  if (block === undefined) return out
  const line: HeaderLine = { start: 0, colon: -1, value: 0, end: 0 }
  let at = block.indexOf('\r\n')
  while (at !== -1 && nextHeaderLine(block, at, line)) {
    if (line.colon !== -1) out[block.slice(line.start, line.colon).trim()] = asText(block.slice(line.value, line.end))
    at = line.end
  }
  return out
}

/** libmodsecurity's `match` text: `Matched "Operator `Rx' with parameter `…' against variable `ARGS:q' (Value: `…' )`. */
function matchText (rule: CompiledRule | undefined, e: AttackEntry): string {
  if (rule === undefined) return `Matched against variable \`${e.location}' (Value: \`${e.payload}' )`
  const name = rule.operator.name
  const op = name.charAt(0).toUpperCase() + name.slice(1)
  let param = rule.operator.argument
  if (param.length > PARAMETER_MAX) param = `${param.slice(0, PARAMETER_MAX)} (${param.length - PARAMETER_MAX} characters omitted)`
  return `Matched "Operator \`${op}' with parameter \`${asText(param)}' against variable \`${e.location}' (Value: \`${e.payload}' )`
}

function message (e: AttackEntry, o: ModsecAuditOptions, redactor: AttackRedactor): ModsecMessage {
  const entry = redactor.apply({ location: asText(e.location), payload: e.payload, msg: e.msg, logdata: e.logdata })
  const shown: AttackEntry = { ...e, location: entry.location, payload: entry.payload }
  return {
    message: entry.msg,
    details: {
      match: matchText(o.rule(e.ruleId), shown),
      reference: '',
      ruleId: e.ruleId,
      file: e.file ?? '',
      lineNumber: e.line === undefined ? '' : String(e.line),
      data: entry.logdata ?? '',
      severity: SEVERITY[e.severity] ?? '5',
      ver: e.ver ?? '',
      rev: e.rev ?? '',
      tags: e.tags,
      maturity: e.maturity ?? '0',
      accuracy: e.accuracy ?? '0'
    }
  }
}

export function buildModsecAuditRecord (req: ModsecSourceRequest, res: ModsecSourceResponse | undefined, ctx: WafContext, o: ModsecAuditOptions): ModsecAuditRecord {
  const redactor = new AttackRedactor(req.headers, o.redact, asText)
  const version = req.httpVersion === undefined ? 1.1 : Number(req.httpVersion)
  return {
    transaction: {
      client_ip: o.clientIp,
      time_stamp: modsecTimeStamp(ctx.startedAt),
      server_id: serverIdOf(),
      client_port: o.clientPort,
      host_ip: req.socket?.localAddress ?? '',
      host_port: req.socket?.localPort ?? 0,
      unique_id: ctx.id,
      request: { method: req.method ?? '', http_version: Number.isFinite(version) ? version : 1.1, uri: asText(req.url ?? ''), headers: requestHeaders(req, o.redact) },
      response: { http_code: res?.statusCode ?? o.status, headers: responseHeaders(res) },
      producer: { modsecurity: o.producer, connector: o.connector, secrules_engine: ENGINE[ctx.policy.mode], components: [...o.components] },
      messages: ctx.attacks.map(e => message(e, o, redactor))
    }
  }
}
