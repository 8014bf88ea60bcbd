import type { WafAction, WafMode } from '../lifecycle/context.js'
import type { RecordProducer, RecordSource } from '../log/types.js'
import { kSource } from '../log/types.js'
import { accessFields } from './access-fields.js'
import { compileRecord } from './record-table.js'
import type { CompiledRecord } from './record-table.js'
import type { HeaderMap } from './record-parts.js'

export { responseHeaders, roundMs } from './record-parts.js'
export type { HeaderMap } from './record-parts.js'

/**
 * The access record (DESIGN.md "Wire formats: access", Kong tcp-log style): its fields are the
 * table in access-fields.ts, compiled into an object builder for filters, listeners and
 * `condition`, and into a JSON writer for the default filter, which is the hot path and never
 * builds the object.
 *
 * Header values are text: bytes that form valid UTF-8 are decoded, other bytes stay the latin1
 * characters U+0080–U+00FF (lossless). Redacted headers read `REDACTED`.
 */

export interface AccessRecord {
  type: 'access'
  id: string
  /** Epoch ms when the request arrived. */
  started_at: number
  /** The Host header without port, lowercased. */
  host: string
  client_ip: string
  client_port: number
  request: {
    method: string
    /** The request target as received. */
    uri: string
    path: string
    /** The query string, without `?`; empty when there is none. */
    args: string
    http_version: string
    headers: HeaderMap
    /** Request line, headers and body, as nginx `$request_length`. */
    size: number
  }
  response: {
    status: number
    headers: HeaderMap
    /** Status line, headers and body, as nginx `$bytes_sent`. */
    size: number
  }
  upstream: { addr: string, status: number, response_time: number } | null
  /** ms: the whole request, the upstream's part, the rule check's part. */
  latencies: { request: number, proxy: number, waf: number }
  waf: { mode: WafMode, action: WafAction, attacks: number, bot: boolean, cc: boolean }
  /** The cluster worker id, or 0. */
  worker: number
  /** The machine (the host name unless configured). */
  node: string
  /** Only for a request the HTTP parser refused: the parser's error code. */
  error?: string
  [kSource]?: RecordSource
}

/** The compiled access record of one worker of one machine. */
function compiledAccess (worker: number, node: string): CompiledRecord<RecordSource, AccessRecord> {
  return compileRecord<RecordSource, AccessRecord>(accessFields(worker, node))
}

/** The last worker and node asked of `buildAccessRecord`/`accessJson`: one pair per process, in practice. */
let last = { worker: 0, node: '', record: compiledAccess(0, '') }

function compiledFor (worker: number, node: string): CompiledRecord<RecordSource, AccessRecord> {
  if (last.worker !== worker || last.node !== node) last = { worker, node, record: compiledAccess(worker, node) }
  return last.record
}

export function buildAccessRecord (src: RecordSource, worker: number, node: string): AccessRecord {
  const rec = compiledFor(worker, node).build(src)
  rec[kSource] = src
  return rec
}

/** The JSON line of `buildAccessRecord(src, worker, node)`, written without building the object. */
export function accessJson (src: RecordSource, worker: number, node: string): string {
  return compiledFor(worker, node).json(src)
}

/** The access stream's producer for one worker of one machine. */
export function accessProducer (worker: number, node: string): RecordProducer<AccessRecord> {
  const record = compiledAccess(worker, node)
  return {
    build: src => {
      const rec = record.build(src)
      rec[kSource] = src
      return rec
    },
    json: record.json
  }
}
