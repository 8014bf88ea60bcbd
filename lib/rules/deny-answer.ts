import { STATUS_CODES } from 'node:http'
import { compileDenyTemplate } from '../deny-template.js'
import type { DenyTemplate } from '../deny-template.js'

/** What a deny answers: a content type and a body for a status and request id. */
export interface DenyAnswer {
  contentType: string
  body: (status: number, id: string) => string
}

/** The small JSON body of a deny: enough for a client (or its support desk) to quote the id. */
export function denyBody (status: number, id: string): string {
  return `{"statusCode":${status},"error":${JSON.stringify(STATUS_CODES[status] ?? 'Denied')},"message":"Request denied by the web application firewall","id":"${id}"}`
}

export const DEFAULT_DENY: DenyAnswer = Object.freeze({ contentType: 'application/json; charset=utf-8', body: denyBody })

/** The answer to a deny: the small JSON one by default, or the operator's template. */
export function denyAnswerOf (template: DenyTemplate | undefined): DenyAnswer {
  if (template === undefined) return DEFAULT_DENY
  if (template === null || typeof template !== 'object' || typeof template.contentType !== 'string' || template.contentType.length === 0 || typeof template.body !== 'string') {
    throw new TypeError(`waf-rules: option "denyResponse" must be { contentType, body } (strings; {id}, {status} and {reason} in body are replaced)`)
  }
  return { contentType: template.contentType, body: compileDenyTemplate(template.body) }
}
