import type { Pair } from '../input.js'

/**
 * A `multipart/form-data` body as ModSecurity's multipart processor reads it: text parts
 * become arguments (ARGS_POST), parts with a `filename` become FILES (field → file name) and
 * FILES_NAMES, and every part header line is kept for MULTIPART_PART_HEADERS (keyed by the
 * part's name). The body is a byte string. Malformed input gives an `error` (MULTIPART_STRICT_ERROR
 * in ModSecurity) and what could be read. One linear pass over the body.
 */
export interface MultipartContent {
  fields: Pair[]
  files: Array<{ field: string, filename: string, size: number }>
  /** Each header line of each part, in order: `{ part: 'file', line: 'Content-Type: image/png' }`. */
  partHeaders: Array<{ part: string, line: string }>
  error?: string
}

/** The boundary of a multipart Content-Type, or undefined. */
export function boundaryOf (contentType: string): string | undefined {
  if (!/^\s*multipart\/form-data\b/i.test(contentType)) return undefined
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;,]+))/i.exec(contentType)
  return m === null ? undefined : (m[1] ?? m[2])
}

export function parseMultipart (body: string, boundary: string): MultipartContent {
  const out: MultipartContent = { fields: [], files: [], partHeaders: [] }
  const delim = `--${boundary}`
  let at = body.indexOf(delim)
  if (at === -1) {
    out.error = 'Multipart: boundary not found'
    return out
  }
  for (;;) {
    let p = at + delim.length
    if (body.startsWith('--', p)) return out // the closing delimiter
    // Past the delimiter line (transport padding then CRLF or LF).
    const eol = body.indexOf('\n', p)
    if (eol === -1) {
      out.error = 'Multipart: final boundary missing'
      return out
    }
    p = eol + 1
    // Headers, up to an empty line.
    const headers: string[] = []
    for (;;) {
      const end = body.indexOf('\n', p)
      if (end === -1) {
        out.error = 'Multipart: part headers not terminated'
        return out
      }
      const line = body.slice(p, end).replace(/\r$/, '')
      p = end + 1
      if (line.length === 0) break
      headers.push(line)
    }
    const next = body.indexOf(delim, p)
    const contentEnd = next === -1 ? body.length : next
    let content = body.slice(p, contentEnd)
    if (content.endsWith('\r\n')) content = content.slice(0, -2)
    else if (content.endsWith('\n')) content = content.slice(0, -1)
    let name = ''
    let filename: string | undefined
    for (const h of headers) {
      const colon = h.indexOf(':')
      if (colon !== -1 && h.slice(0, colon).trim().toLowerCase() === 'content-disposition') {
        name = param(h, 'name') ?? ''
        filename = param(h, 'filename')
      }
    }
    for (const line of headers) out.partHeaders.push({ part: name, line })
    if (filename !== undefined) out.files.push({ field: name, filename, size: content.length })
    else out.fields.push({ key: name, value: content })
    if (next === -1) {
      out.error = 'Multipart: final boundary missing'
      return out
    }
    at = next
  }
}

/**
 * A `name="value"` (or unquoted) parameter of a Content-Disposition line. In a quoted value only
 * `\"` and `\\` are escapes; any other backslash is kept (browsers send `C:\dir\file` unescaped).
 */
function param (header: string, key: string): string | undefined {
  const re = new RegExp(`;\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, 'i')
  const m = re.exec(header)
  if (m === null) return undefined
  return m[1] !== undefined ? m[1].replace(/\\(["\\])/g, '$1') : (m[2] ?? '').trim()
}
