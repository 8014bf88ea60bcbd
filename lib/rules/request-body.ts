import type { IncomingHttpHeaders } from 'node:http'
import querystring from 'node:querystring'
import type { ParsedUrlQuery } from 'node:querystring'
import type { RunnableRules } from './exec.js'

/** Methods Fastify reads no body for; ModSecurity inspects one all the same, so the plugin reads it. */
export const BODYLESS = new Set(['GET', 'HEAD', 'TRACE'])

/** Whether the request says a body follows. */
export function hasBody (h: IncomingHttpHeaders): boolean {
  const length = h['content-length']
  return h['transfer-encoding'] !== undefined || (length !== undefined && length !== '0' && length !== '')
}

/**
 * Whether phase 2 can find nothing in this request, known as its head arrives: a method the
 * framework reads no body for, no body announced (so none is kept: phase 2 gets no body), and a
 * rule set whose phase 2 reads only the body. Then the plugin need not run it.
 */
export function bodyPhaseIdle (rules: RunnableRules, method: string, headers: IncomingHttpHeaders): boolean {
  return BODYLESS.has(method) && !hasBody(headers) && rules.phaseTwoReadsOnlyBodies
}

/**
 * An `application/x-www-form-urlencoded` body as the rule check wants it: the raw text for
 * REQUEST_BODY (latin1, byte for byte) and the fields parsed as @fastify/formbody parses them.
 */
export function parseFormBody (body: Buffer): { raw: string, parsed: ParsedUrlQuery } {
  return { raw: body.toString('latin1'), parsed: querystring.parse(body.toString('utf8')) }
}
