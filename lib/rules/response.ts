import type { AttackEntry } from '../lifecycle/context.js'
import './response-collections.js'
import { RESPONSE_BODY_COLLECTION, RESPONSE_COLLECTIONS, RESPONSE_HEADER_COLLECTIONS } from './response-collections.js'
import { ResponseData } from './response-data.js'
import type { ResponseCut, ResponseInput } from './response-data.js'
import type { RuleSet } from './ruleset.js'
import type { Transaction } from './transaction.js'

/**
 * Response inspection (phases 3, 4 and 5) over a transaction whose request phases ran: the
 * settings that govern it (SecResponseBody* directives, the plugin's `limits.responseBodyBytes`
 * and `responseBodyTypes`), and the steps a framework adapter takes: `responseHead` (phase 3),
 * `responseBody` (phase 4), `logging` (phase 5). A rule set with no rule in these phases makes
 * none of this run.
 */

export type ResponseLimitAction = 'ProcessPartial' | 'Reject'

export interface ResponseSettings {
  /** SecResponseBodyAccess: whether RESPONSE_BODY is read at all (phase 4 runs either way). */
  bodyAccess: boolean
  /** SecResponseBodyLimit: bytes of the (decoded) body inspected. */
  bodyBytes: number
  /** SecResponseBodyMimeType: media types whose bodies are inspected, lower-cased. */
  types: ReadonlySet<string>
  /** SecResponseBodyLimitAction: past the limit, inspect the start and pass it on, or deny (block mode). */
  limitAction: ResponseLimitAction
}

export const DEFAULT_RESPONSE_TYPES: readonly string[] = Object.freeze(['text/plain', 'text/html', 'text/xml', 'application/json'])

/** ModSecurity's recommended SecResponseBodyLimit (512 KiB). */
export const DEFAULT_RESPONSE_BODY_BYTES = 524288

export const DEFAULT_RESPONSE_SETTINGS: Readonly<ResponseSettings> = Object.freeze({
  bodyAccess: true,
  bodyBytes: DEFAULT_RESPONSE_BODY_BYTES,
  types: new Set(DEFAULT_RESPONSE_TYPES),
  limitAction: 'ProcessPartial'
})

/** Reserved ids of the entries response cuts produce (beside the request limits' 200001–200003). */
export const RESPONSE_CUT_RULE_IDS: Readonly<Record<ResponseCut['kind'], string>> = Object.freeze({ responseBody: '200004', responseEncoding: '200005' })

/** Whether a rule set has anything to run on the response: without it no response hook is needed. */
export function hasResponseRules (set: RuleSet): boolean {
  return set.phases[3] !== undefined || set.phases[4] !== undefined || set.phases[5] !== undefined
}

/** Whether phase 4 has rules (so the body is worth reading). */
export function hasBodyRules (set: RuleSet): boolean {
  return set.phases[4] !== undefined
}

/** The media type of a Content-Type value: lower-cased, parameters cut. */
export function mediaTypeOf (contentType: string | undefined): string {
  if (contentType === undefined) return ''
  const semi = contentType.indexOf(';')
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase()
}

/** What runs a phase: the engine (kept as an interface, so this file does not import it). */
export interface PhaseRunner {
  readonly denyStatus: number
  phase(tx: Transaction, phase: 3 | 4 | 5): void
}

/** Phase 3: the status line and headers. */
export function responseHead (engine: PhaseRunner, tx: Transaction, input: ResponseInput): ResponseData {
  const data = new ResponseData(input)
  tx.response = data
  for (const col of RESPONSE_COLLECTIONS) tx.forget(col)
  engine.phase(tx, 3)
  return data
}

/** Whether the body of this response is read for phase 4: access on, an inspected media type. */
export function bodyInspected (settings: ResponseSettings, data: ResponseData): boolean {
  return settings.bodyAccess && settings.types.has(mediaTypeOf(data.contentType))
}

/**
 * Phase 4 over the body read so far (`body` undefined: not read; up to the limit plus one byte,
 * which says the body was longer: the cut is recorded, with `total` when the body's size is
 * known). `encoding` names a content-encoding that was not decoded. Runs once per transaction.
 */
export function responseBody (engine: PhaseRunner, tx: Transaction, settings: ResponseSettings, body: Buffer | undefined,
  o: { total?: number, encoding?: string, decoded?: boolean } = {}): void {
  const data = tx.response
  if (data === undefined) return
  // A body decoded for inspection is, to phase 4, an uncompressed one: its Content-Encoding is
  // dropped from RESPONSE_HEADERS (phase 3 saw it), so rules that skip compressed bodies (the
  // CRS's 95x010, written for engines that never decode) read it.
  if (o.decoded === true && data.dropHeader('content-encoding')) {
    for (const col of RESPONSE_HEADER_COLLECTIONS) tx.forget(col)
  }
  if (body !== undefined) {
    const limit = settings.bodyBytes
    const kept = body.length > limit ? body.subarray(0, limit) : body
    data.body = kept.toString('latin1')
    if (body.length > limit) {
      const deny = settings.limitAction === 'Reject' && tx.mode === 'block'
      const detail = o.total !== undefined && o.total > limit ? String(o.total) : `more than ${limit}`
      data.cuts.push({ kind: 'responseBody', detail, inspected: kept.length, deny })
      if (deny && tx.interrupted === undefined) tx.interrupted = { rule: undefined, status: engine.denyStatus }
    }
  }
  if (o.encoding !== undefined) data.cuts.push({ kind: 'responseEncoding', detail: o.encoding, inspected: body?.length ?? 0, deny: false })
  tx.forget(RESPONSE_BODY_COLLECTION)
  engine.phase(tx, 4)
}

/**
 * Phase 5, the logging phase: it runs whatever happened before (ModSecurity runs it for every
 * transaction, denied or not); a deny in it changes nothing.
 */
export function logging (engine: PhaseRunner, tx: Transaction): void {
  const stop = tx.interrupted
  tx.interrupted = undefined
  engine.phase(tx, 5)
  tx.interrupted = stop
}

const CUT_MSG: Record<ResponseCut['kind'], string> = {
  responseBody: 'Response body longer than the inspection limit: the first bytes were inspected',
  responseEncoding: 'Response body in a content-encoding that was not decoded: not inspected past what decoded'
}

/** Attack entries for the response's cuts: payload says what was inspected. */
export function responseCutEntries (data: ResponseData | undefined): AttackEntry[] {
  if (data === undefined || data.cuts.length === 0) return []
  return data.cuts.map(c => ({
    ruleId: RESPONSE_CUT_RULE_IDS[c.kind],
    msg: CUT_MSG[c.kind],
    detectType: 'protocol',
    severity: 'notice',
    tags: ['limit'],
    location: 'RESPONSE_BODY',
    payload: c.kind === 'responseBody' ? `inspected ${c.inspected} of ${c.detail} bytes` : `content-encoding ${c.detail}: inspected ${c.inspected} bytes`,
    action: c.deny ? 'deny' : 'log',
    phase: 4
  }))
}

/** The settings from partial ones (engine options), defaults for the rest. */
export function responseSettings (o: Partial<ResponseSettings> | undefined): ResponseSettings {
  const d = DEFAULT_RESPONSE_SETTINGS
  if (o === undefined) return d
  return {
    bodyAccess: o.bodyAccess ?? d.bodyAccess,
    bodyBytes: o.bodyBytes ?? d.bodyBytes,
    types: o.types ?? d.types,
    limitAction: o.limitAction ?? d.limitAction
  }
}
