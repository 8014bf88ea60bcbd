import { STATUS_CODES } from 'node:http'

/**
 * The body of a response the WAF or the gateway answers itself (a rule deny, a rate limit, an
 * upstream that failed), from an operator's template. The template is text: `{id}` (the request
 * id), `{status}` and `{reason}` (the status' reason phrase) are replaced, every other character
 * is kept as written, and nothing in it is evaluated. The values put in are letters, digits and
 * `@-_ ` only, so a JSON or HTML template needs no escaping for them.
 */

export interface DenyTemplate {
  contentType: string
  body: string
}

/** Renders a status and request id into a body. */
export type DenyRenderer = (status: number, id: string) => string

const PLACEHOLDER = /\{(id|status|reason)\}/g

/** Splits the template once; rendering joins the pieces. */
export function compileDenyTemplate (template: string): DenyRenderer {
  if (typeof template !== 'string') throw new TypeError('deny template: the body must be a string')
  const text: string[] = []
  const holes: Array<'id' | 'status' | 'reason'> = []
  let last = 0
  for (const m of template.matchAll(PLACEHOLDER)) {
    text.push(template.slice(last, m.index))
    holes.push(m[1] as 'id' | 'status' | 'reason')
    last = m.index + m[0].length
  }
  text.push(template.slice(last))
  return (status, id) => {
    let out = text[0]
    for (let i = 0; i < holes.length; i++) {
      const h = holes[i]
      out += (h === 'id' ? id : h === 'status' ? String(status) : (STATUS_CODES[status] ?? '')) + text[i + 1]
    }
    return out
  }
}
