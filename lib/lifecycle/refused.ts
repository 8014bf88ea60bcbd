import { STATUS_CODES } from 'node:http'
import { hostOfRawHead, readRawHead } from './raw-head.js'
import type { RawHead } from './raw-head.js'

/**
 * Requests the HTTP parser refused (Node's `clientError`): what can be read of them, and the
 * error response written straight to the socket, as Fastify's default handler words it.
 */

/** A parser error as Node hands it over. */
export type ParserError = Error & { code?: string, rawPacket?: Buffer, bytesParsed?: number }

/** What the refused request's bytes say, read once for every participant. */
export interface RefusedRequest {
  /** The bytes of the failing request (see failingRequestBytes). */
  raw: Buffer | undefined
  /** Its first line (latin1, without CRLF), when there is one. */
  requestLine: string | undefined
  /** Its Host header's value. */
  host: string | undefined
  /** The request target, `/` when none could be read: what the prefix switches match. */
  target: string
  /** The bytes read as a request head, when they start with a request line. */
  head: RawHead | undefined
}

/**
 * The bytes of the request the parser failed on. Node hands over the whole chunk it was parsing,
 * which holds the requests pipelined before the bad one too: the bad one starts after the last
 * blank line before the error offset.
 */
export function failingRequestBytes (packet: Buffer | undefined, errorAt: number | undefined): Buffer | undefined {
  if (packet === undefined || errorAt === undefined || errorAt < 4) return packet
  const end = packet.lastIndexOf('\r\n\r\n', Math.min(errorAt, packet.length) - 4, 'latin1')
  return end === -1 ? packet : packet.subarray(end + 4)
}

const LEADING_EMPTY_LINES = /^[\r\n]+/

export function readRefusedRequest (err: ParserError): RefusedRequest {
  const raw = failingRequestBytes(err.rawPacket, err.bytesParsed)
  // Empty lines before the request line are skipped, as llhttp skips them (RFC 9112 §2.2).
  const text = raw === undefined ? '' : raw.toString('latin1').replace(LEADING_EMPTY_LINES, '')
  const eol = text.indexOf('\r\n')
  const requestLine = eol > 0 ? text.slice(0, eol) : (text.length > 0 ? text : undefined)
  return {
    raw,
    requestLine,
    host: hostOfRawHead(text),
    target: requestLine?.split(' ')[1] ?? '/',
    head: raw === undefined ? undefined : readRawHead(text)
  }
}

/** The status a parser error is answered with: 408 for a head timeout, 431 for headers too large, else 400. */
export function refusedStatus (code: string | undefined): number {
  return code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
}

/**
 * The error response to a refused request, with `headerLines` (each ending in CRLF, such as the
 * request id) before `Connection: close`. Statuses and bodies as Fastify's default handler sends them.
 */
export function refusedResponse (status: number, headerLines: string): string {
  const reason = STATUS_CODES[status] as string
  const message = status === 408 ? 'Client Timeout' : status === 431 ? 'Exceeded maximum allowed HTTP header size' : 'Client Error'
  const body = `{"error":"${reason}","message":"${message}","statusCode":${status}}`
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\n${headerLines}Connection: close\r\n\r\n${body}`
}

/** The body of the 408 a request whose body stopped arriving gets through its own reply. */
export const TIMEOUT_BODY = '{"error":"Request Timeout","message":"Client Timeout","statusCode":408}'

/**
 * How long a refused connection may still send (what it sends is read and dropped) before it is
 * closed, as nginx's lingering close: closing at once with unread bytes would reset the
 * connection and could lose the answer on its way to the client.
 */
export const LINGER_MS = 5000
