import type { ServerResponse } from 'node:http'
import type { WafContext } from '../lifecycle/context.js'
import type { SourceRequest } from '../source-request.js'

/**
 * Where a record came from. Records that stand for one request carry it under `kSource`, a
 * symbol key that JSON ignores, so that writers which need the raw request (nginx `$http_NAME`,
 * `$cookie_NAME`…) can read it while the record itself stays redacted. It holds the facts fixed
 * when the request ended, so that every writer reports the same status, time and sizes.
 */
export interface RecordSource {
  req: SourceRequest
  /** Absent for a request the HTTP parser refused. */
  res: ServerResponse | undefined
  ctx: WafContext
  /** The status as logged: the response's, 499 when the client left first, the parser's 400/431. */
  status: number
  /** Epoch ms when the request ended. */
  endedAt: number
  /** ms from arrival to the end. */
  requestMs: number
  /** The client address (Fastify's `request.ip`, IPv4-mapped IPv6 shown as IPv4). */
  clientIp: string
  clientPort: number
  /** Lowercased header names whose values are written `REDACTED`. */
  redact: ReadonlySet<string>
  /** The serial number of the connection (`$connection`) and of this request on it (`$connection_requests`). */
  connection: number
  connectionRequests: number
  /** Whether the request arrived while an earlier one on the same connection was in flight (`$pipe`). */
  pipelined: boolean
  /** For a request the HTTP parser refused: its error code, such as `HPE_INVALID_METHOD`. */
  error?: string
}

export const kSource: unique symbol = Symbol.for('fastify-waflog.source')
