import type { IncomingHttpHeaders } from 'node:http'
import querystring from 'node:querystring'
import type { ParsedUrlQuery } from 'node:querystring'

/** Methods Fastify reads no body for; ModSecurity inspects one all the same, so the plugin reads it. */
export const BODYLESS = new Set(['GET', 'HEAD', 'TRACE'])

/** Whether the request says a body follows. */
export function hasBody (h: IncomingHttpHeaders): boolean {
  const length = h['content-length']
  return h['transfer-encoding'] !== undefined || (length !== undefined && length !== '0' && length !== '')
}

/**
 * An `application/x-www-form-urlencoded` body as the rule check wants it: the raw text for
 * REQUEST_BODY (latin1, byte for byte) and the fields parsed as @fastify/formbody parses them.
 */
export function parseFormBody (body: Buffer): { raw: string, parsed: ParsedUrlQuery } {
  return { raw: body.toString('latin1'), parsed: querystring.parse(body.toString('utf8')) }
}
