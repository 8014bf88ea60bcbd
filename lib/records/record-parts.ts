import type { IncomingHttpHeaders } from 'node:http'
import type { RecordSource } from '../access/record-source.js'
import { asText } from '../text/escape.js'
import { nextHeaderLine } from '../text/header-lines.js'
import type { HeaderLine } from '../text/header-lines.js'
import { REDACTED } from '../redaction.js'
import { responseHeadBlock } from '../http2.js'

/** Pieces of the access record: its header maps as objects, and parts of the request target. */

export { roundMs } from './json-numbers.js'

export type HeaderMap = Record<string, string | string[]>

/** The request headers as text, redacted names reading `REDACTED`. */
export function requestHeaders (headers: IncomingHttpHeaders, redact: ReadonlySet<string>): HeaderMap {
  const out: HeaderMap = Object.create(null) as HeaderMap
  for (const k in headers) {
    const v = headers[k]
    if (v === undefined) continue
    out[k] = redact.has(k) ? REDACTED : typeof v === 'string' ? asText(v) : v.map(asText)
  }
  return out
}

/**
 * The response headers as they went out: parsed from the header block Node wrote (Fastify sends
 * with `writeHead`, whose headers `getHeaders()` does not hold). Names lowercased; a name sent
 * more than once (Set-Cookie) gives an array.
 */
export function responseHeaders (block: string | null | undefined, redact: ReadonlySet<string>): HeaderMap {
  const out: HeaderMap = Object.create(null) as HeaderMap
  if (typeof block !== 'string') return out
  const line: HeaderLine = { start: 0, colon: -1, value: 0, end: 0 }
  for (let at = block.indexOf('\r\n'); at !== -1 && nextHeaderLine(block, at, line); at = line.end) {
    if (line.colon === -1) continue
    const name = block.slice(line.start, line.colon).toLowerCase()
    if (redact.has(name)) {
      out[name] = REDACTED
    } else {
      const value = asText(block.slice(line.value, line.end))
      const old = out[name]
      out[name] = old === undefined ? value : Array.isArray(old) ? [...old, value] : [old, value]
    }
  }
  return out
}

export function headerBlock (src: RecordSource): string | null | undefined {
  return src.res === undefined ? undefined : responseHeadBlock(src.res)
}

export function argsPart (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? '' : url.slice(q + 1)
}
