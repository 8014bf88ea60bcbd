import type { RequestData } from './request-data.js'

/**
 * REQBODY_PROCESSOR as ModSecurity sets it: from the body as parsed, and otherwise from the
 * Content-Type, as ModSecurity with its recommended configuration does before (and whether or
 * not) a body arrives: `multipart/form-data` and urlencoded by the engine itself, XML and JSON by
 * the `ctl:requestBodyProcessor` rules of modsecurity.conf (200000, 200001), whose patterns these are.
 */
const XML = /^(?:application(?:\/soap\+|\/)|text\/)xml/
const JSON_TYPE = /^application\/json/

export function bodyProcessor (req: RequestData): string | undefined {
  const body = req.body
  if (body?.form !== undefined) return 'URLENCODED'
  if (body?.fields !== undefined || body?.files !== undefined) return 'MULTIPART'
  if (body?.json !== undefined) return 'JSON'
  const type = contentType(req)?.trim().toLowerCase()
  if (type === undefined) return undefined
  if (type.startsWith('application/x-www-form-urlencoded')) return 'URLENCODED'
  if (type.startsWith('multipart/form-data')) return 'MULTIPART'
  if (XML.test(type)) return 'XML'
  if (JSON_TYPE.test(type)) return 'JSON'
  return undefined
}

/**
 * Whether the body is plain text (`text/plain`), which no body processor parses: the default
 * rules read it whole through REQUEST_BODY_TEXT, as they read a form's or a JSON body's fields.
 */
export function isPlainTextBody (req: RequestData): boolean {
  return req.body?.raw !== undefined && bodyProcessor(req) === undefined && contentType(req)?.trim().toLowerCase().startsWith('text/plain') === true
}

/** The first Content-Type as received, read from the input (building REQUEST_HEADERS would cut and log long headers no rule asked for). */
function contentType (req: RequestData): string | undefined {
  const raw = req.input.rawHeaders
  if (raw !== undefined) {
    for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'content-type') return raw[i + 1]
    return undefined
  }
  const v = req.input.headers?.['content-type']
  return typeof v === 'string' ? v : v?.[0]
}
