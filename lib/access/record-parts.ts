import type { RecordSource } from '../log/types.js'
import { asText } from './escape.js'
import { REDACTED } from './variables.js'

/** Pieces of the access record that its object builder and its JSON writer share. */

export type HeaderMap = Record<string, string | string[]>

/** ms rounded to µs. */
export function roundMs (ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms * 1000) / 1000 : 0
}

/**
 * The response headers as they went out: parsed from the header block Node wrote (Fastify sends
 * with `writeHead`, whose headers `getHeaders()` does not hold). Names lowercased; a name sent
 * more than once (Set-Cookie) gives an array.
 */
export function responseHeaders (block: string | null | undefined, redact: ReadonlySet<string>): HeaderMap {
  const out: HeaderMap = Object.create(null) as HeaderMap
  if (typeof block !== 'string') return out
  let at = block.indexOf('\r\n')
  while (at !== -1) {
    const start = at + 2
    const end = block.indexOf('\r\n', start)
    if (end === -1 || end === start) break
    const colon = block.indexOf(':', start)
    if (colon !== -1 && colon < end) {
      const name = block.slice(start, colon).toLowerCase()
      let v = colon + 1
      while (v < end && (block.charCodeAt(v) === 32 || block.charCodeAt(v) === 9)) v++
      if (redact.has(name)) {
        out[name] = REDACTED
      } else {
        const value = asText(block.slice(v, end))
        const old = out[name]
        out[name] = old === undefined ? value : Array.isArray(old) ? [...old, value] : [old, value]
      }
    }
    at = end
  }
  return out
}

export function headerBlock (src: RecordSource): string | null | undefined {
  return src.res === undefined ? undefined : (src.res as { _header?: string | null })._header
}

export function argsPart (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? '' : url.slice(q + 1)
}
