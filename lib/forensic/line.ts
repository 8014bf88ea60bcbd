import { forensicEscape } from './escape.js'
import { asciiLower, sameName } from './headers.js'
import type { HeaderNameSet } from './headers.js'
import { REDACTED } from '../redaction.js'
import { flat } from '../records/flat.js'

/**
 * The two lines of mod_log_forensic:
 *
 *   +ID|request line|Name:value|Name:value…
 *   -ID
 *
 * Headers keep their received order and the case of their names. Names that repeat (ignoring
 * ASCII case) are merged into the first occurrence with ", ", as httpd's
 * `apr_table_compress(headers_in, APR_OVERLAP_TABLES_MERGE)` does for every request header,
 * Cookie and Set-Cookie included. The id is written as it is; everything else is escaped.
 */

export { REDACTED }

/** Past this many headers, duplicates are found through a Map instead of pairwise comparison. */
const PAIRWISE_LIMIT = 16

/**
 * The "+" line. `requestLine` is `METHOD SP target SP HTTP/x.y` as received; `rawHeaders` is a
 * flat name, value, name, value… list (Node's `IncomingMessage#rawHeaders`), byte strings.
 * Values of names in `redact` are replaced by `REDACTED`.
 */
export function formatPlusLine (id: string, requestLine: string, rawHeaders: readonly string[], redact?: HeaderNameSet): string {
  return withHeaders('+' + id + '|' + forensicEscape(requestLine), rawHeaders, redact)
}

/**
 * `formatPlusLine` from the parts of the request line (`METHOD SP target SP HTTP/version`), so
 * that the line is never built whole only to be escaped: escaping works byte by byte, so the
 * parts escaped one by one give the same line.
 */
export function formatRequestPlusLine (id: string, method: string, target: string, version: string, rawHeaders: readonly string[], redact?: HeaderNameSet): string {
  return withHeaders('+' + id + '|' + forensicEscape(method) + ' ' + forensicEscape(target) + ' HTTP/' + forensicEscape(version), rawHeaders, redact)
}

/**
 * The headers' part of the last line written: a copy of its header list, its redaction set (a
 * `HeaderNameSet` never changes) and its text, made flat on its first reuse. A client's requests
 * mostly repeat the previous one's headers to the byte, and comparing them costs a fraction of
 * escaping and joining them again; the text is a function of the list and the set alone.
 */
const lastHeaders: string[] = []
let lastRedact: HeaderNameSet | undefined
let lastText = ''
let lastFlat = true

function withHeaders (head: string, rawHeaders: readonly string[], redact: HeaderNameSet | undefined): string {
  const n = rawHeaders.length - (rawHeaders.length & 1)
  if (redact === lastRedact && sameHeaders(rawHeaders, lastHeaders, n)) {
    if (!lastFlat) {
      flat(lastText)
      lastFlat = true
    }
    return head + lastText
  }
  const text = hasDuplicateNames(rawHeaders, n) ? formatMerged(rawHeaders, n, redact) : formatHeaders(rawHeaders, n, redact)
  // A copy, into an array of this module's: the list is the caller's, and a later change to it
  // must not change what is compared.
  for (let i = 0; i < n; i++) lastHeaders[i] = rawHeaders[i]
  // Setting an array's length is a call into the runtime: only when it changes.
  if (lastHeaders.length !== n) lastHeaders.length = n
  lastRedact = redact
  lastText = text
  lastFlat = false
  return head + text
}

/** Whether the first `n` entries of `raw` are `last`, entry by entry. */
function sameHeaders (raw: readonly string[], last: readonly string[], n: number): boolean {
  if (n !== last.length) return false
  for (let i = 0; i < n; i++) if (raw[i] !== last[i]) return false
  return true
}

function formatHeaders (rawHeaders: readonly string[], n: number, redact: HeaderNameSet | undefined): string {
  let text = ''
  const redacting = redact !== undefined && redact.size > 0
  for (let i = 0; i < n; i += 2) {
    const name = rawHeaders[i]
    text += '|' + forensicEscape(name) + ':' +
      (redacting && (redact as HeaderNameSet).has(name) ? REDACTED : forensicEscape(rawHeaders[i + 1]))
  }
  return text
}

export function formatMinusLine (id: string): string {
  return '-' + id
}

function hasDuplicateNames (raw: readonly string[], n: number): boolean {
  if (n <= PAIRWISE_LIMIT * 2) {
    for (let i = 2; i < n; i += 2) {
      const name = raw[i]
      for (let j = 0; j < i; j += 2) {
        if (sameName(name, raw[j])) return true
      }
    }
    return false
  }
  // Many headers: linear time, so that a request with thousands of headers costs no more than
  // reading them.
  const seen = new Set<string>()
  for (let i = 0; i < n; i += 2) {
    const key = asciiLower(raw[i])
    if (seen.has(key)) return true
    seen.add(key)
  }
  return false
}

function formatMerged (raw: readonly string[], n: number, redact: HeaderNameSet | undefined): string {
  const names: string[] = []
  const values: string[] = []
  const slot = new Map<string, number>()
  for (let i = 0; i < n; i += 2) {
    const key = asciiLower(raw[i])
    const at = slot.get(key)
    if (at === undefined) {
      slot.set(key, names.length)
      names.push(raw[i])
      values.push(raw[i + 1])
    } else {
      values[at] += ', ' + raw[i + 1]
    }
  }
  let text = ''
  for (let k = 0; k < names.length; k++) {
    const name = names[k]
    text += '|' + forensicEscape(name) + ':' +
      (redact !== undefined && redact.has(name) ? REDACTED : forensicEscape(values[k]))
  }
  return text
}

/**
 * Merges repeated names the way the "+" line does: the first occurrence keeps its place and its
 * name's case, values joined with ", ". For tools and tests that reason about logged headers.
 */
export function mergeHeaders (headers: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  const out: Array<[string, string]> = []
  const slot = new Map<string, number>()
  for (const [name, value] of headers) {
    const key = asciiLower(name)
    const at = slot.get(key)
    if (at === undefined) {
      slot.set(key, out.length)
      out.push([name, value])
    } else {
      out[at][1] += ', ' + value
    }
  }
  return out
}
