import { registerCollection } from '../collections.js'
import type { CollectionReader } from '../collections.js'
import { VarEntry } from '../variables.js'
import { boundaryOf, parseMultipart } from './multipart.js'
import { parseXmlBody } from './xml.js'

/**
 * Collections SecLang rule sets target that the request model does not build itself.
 *
 * `XML` follows ModSecurity's XML body processor for the two XPath expressions the CRS uses:
 * `XML:/*` (the document element's text content, one value) and `XML://@*` (every attribute
 * value). Other XPath expressions are refused at load time (see XML_PATHS). The body is parsed
 * when a rule first asks, once per request, and only for an XML Content-Type.
 */
export const XML_PATHS: ReadonlySet<string> = new Set(['/*', '//@*'])

const XML_TYPE = /^\s*(?:application|text)\/(?:[a-z0-9.+-]*\+)?xml\s*(?:;|$)/i

/**
 * Whether any Content-Type header matches: ModSecurity picks the body processor with a rule on
 * REQUEST_HEADERS:Content-Type, which sees every such header, not only the first.
 */
function anyContentType (tx: CollectionReader, test: (value: string) => boolean): string | undefined {
  for (const e of tx.req.headers()) if (e.lkey === 'content-type' && test(e.value)) return e.value
  return undefined
}

function xmlEntries (tx: CollectionReader): VarEntry[] {
  if (anyContentType(tx, v => XML_TYPE.test(v)) === undefined) return []
  const raw = tx.req.rawBody()
  if (raw === undefined || raw.length === 0) return []
  const doc = parseXmlBody(raw)
  const out: VarEntry[] = [new VarEntry('/*', '/*', doc.text)]
  for (const a of doc.attributes) out.push(new VarEntry('//@*', '//@*', a.value))
  return out
}

registerCollection({ name: 'XML', caseless: false, dynamic: false, body: true, single: false, build: xmlEntries })


/**
 * `MULTIPART_PART_HEADERS`: every header line of every part of a multipart body, keyed by the
 * part's name (ModSecurity v3 / Coraza), read from the raw body when a rule first asks.
 */
function partHeaderEntries (tx: CollectionReader): VarEntry[] {
  const type = anyContentType(tx, v => boundaryOf(v) !== undefined)
  if (type === undefined) return []
  const boundary = boundaryOf(type) as string
  const raw = tx.req.rawBody()
  if (raw === undefined || raw.length === 0) return []
  return parseMultipart(raw, boundary).partHeaders.map(h => new VarEntry(h.part, h.part.toLowerCase(), h.line))
}

registerCollection({ name: 'MULTIPART_PART_HEADERS', caseless: true, dynamic: false, body: true, single: false, build: partHeaderEntries })
