import type { IncomingMessage } from 'node:http'
import type { BodyInput, RequestInput } from './input.js'
import { requestRawHeaders } from '../http2.js'
import { utf8ToBytes } from './regex.js'
import { boundaryOf, parseMultipart } from './seclang/multipart.js'

/**
 * The engine's input from a Node request: the request target and headers exactly as received
 * (Node reads both as latin1, so they are already byte strings); HTTP/2's as httpd's mod_http2
 * gives them, with `Host` from `:authority` and no pseudo-headers.
 */
export function inputFromIncoming (req: IncomingMessage, remoteAddress: string | undefined): RequestInput {
  return {
    method: req.method ?? '',
    url: req.url ?? '',
    protocol: req.httpVersion === '1.1' ? 'HTTP/1.1' : `HTTP/${req.httpVersion}`,
    rawHeaders: requestRawHeaders(req),
    remoteAddress
  }
}

/**
 * The engine's input from the head of a request Node's HTTP parser refused (a bad header byte,
 * a non-ASCII target): the request line split leniently, since it may be what the parser choked
 * on. Method is its first word, the protocol its last when that is `HTTP/…`, the target what lies
 * between.
 */
export function inputFromRawHead (requestLine: string, rawHeaders: string[], remoteAddress: string | undefined): RequestInput {
  const first = requestLine.indexOf(' ')
  const last = requestLine.lastIndexOf(' ')
  const hasProtocol = last > first && requestLine.startsWith('HTTP/', last + 1)
  return {
    method: first === -1 ? requestLine : requestLine.slice(0, first),
    url: first === -1 ? '' : requestLine.slice(first + 1, hasProtocol ? last : requestLine.length),
    protocol: hasProtocol ? requestLine.slice(last + 1) : '',
    rawHeaders,
    remoteAddress
  }
}

/** The media type of a Content-Type value: lowercased, parameters and spaces cut. */
function mediaType (contentType: string | undefined): string {
  if (contentType === undefined) return ''
  const semi = contentType.indexOf(';')
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase()
}

function isJsonType (type: string): boolean {
  return type === 'application/json' || type.endsWith('+json')
}

/**
 * A body kept as bytes (a gateway forwards bodies untouched), read the way the framework would
 * have parsed it: urlencoded into ARGS_POST, JSON flattened into ARGS_POST, multipart into
 * ARGS_POST and FILES, anything else as REQUEST_BODY only. A JSON or multipart body that does
 * not parse sets REQBODY_ERROR.
 */
function bytesInput (bytes: string, utf8: () => string, contentType: string | undefined): BodyInput {
  const type = mediaType(contentType)
  if (type === 'application/x-www-form-urlencoded') return { form: bytes }
  if (type === 'multipart/form-data') {
    // As ModSecurity's multipart processor: text parts are ARGS_POST, file parts FILES.
    const boundary = boundaryOf(contentType as string)
    if (boundary === undefined) return { raw: bytes, error: 'Multipart: no boundary in Content-Type' }
    const m = parseMultipart(bytes, boundary)
    const out: BodyInput = { raw: bytes, fields: m.fields, files: m.files }
    if (m.error !== undefined) out.error = m.error
    return out
  }
  if (isJsonType(type) && bytes.length > 0) {
    try {
      return { json: JSON.parse(utf8()), raw: bytes }
    } catch (err) {
      return { raw: bytes, error: `JSON parsing error: ${(err as Error).message}` }
    }
  }
  return { raw: bytes }
}

/**
 * The engine's body from what the framework parsed: the raw text of a urlencoded body when
 * the rules plugin's parser kept it, an object as JSON, and a Buffer or string (a body kept as
 * received) parsed according to its Content-Type.
 */
export function bodyInput (body: unknown, rawForm: string | undefined, contentType?: string): BodyInput | undefined {
  if (rawForm !== undefined) return { form: rawForm }
  if (body === undefined || body === null) return undefined
  if (Buffer.isBuffer(body)) return bytesInput(body.toString('latin1'), () => body.toString('utf8'), contentType)
  if (typeof body === 'string') return bytesInput(utf8ToBytes(body), () => body, contentType)
  if (typeof body === 'object') return { json: body }
  return { raw: String(body) }
}
