import type { IncomingHttpHeaders } from 'node:http'
import { jsonInner, jsonString, jsonText, jsonTextInner } from '../text/json-text.js'
import { responseHeaders } from './record-parts.js'
import { flat } from './flat.js'
import type { HeaderMap } from './record-parts.js'
import { nextHeaderLine } from '../text/header-lines.js'
import type { HeaderLine } from '../text/header-lines.js'
import { REDACTED } from '../redaction.js'

/**
 * The JSON of the access record's two header maps, written as the headers are read, without the
 * `HeaderMap` objects that `requestHeaders` and `responseHeaders` (record-parts.ts) build for the
 * object form; a property test holds each pair together.
 *
 * What costs on this path is the number of pieces concatenated (each is a node of a rope that is
 * copied again when the line is flattened), so a header is two pieces: its value, and the text
 * between two values (quote, comma, name, colon, quote), made once per header name.
 */

/**
 * The pieces between header values of a JSON object: `{"name":` for the first, `,"name":` for
 * the others, each with the closing quote of a string value before it and the opening quote of a
 * string value after it.
 */
class KeyPieces {
  private readonly cache = new Map<string, string[]>()

  /** `prev`: the previous value was a string (0 or 1, -1 for the first header); `open`: this value is one. */
  piece (name: string, prev: number, open: boolean): string {
    let v = this.cache.get(name)
    if (v === undefined) {
      // Names from Node's parser are tokens, which JSON never escapes; a name that is not (a
      // refused request's, a hand-built source's) is escaped like any other string.
      const k = jsonInner(name)
      v = [`{"${k}":`, `{"${k}":"`, `,"${k}":`, `,"${k}":"`, `","${k}":`, `","${k}":"`]
      // Names are client input: past the bound, the pieces are made again each time.
      if (this.cache.size < 1024) this.cache.set(name, v)
    }
    return v[(prev === -1 ? 0 : 2 + 2 * prev) + (open ? 1 : 0)]
  }
}

const keys = new KeyPieces()

/** The JSON array of the values of a name sent several times (rare). */
function arrayJson (v: readonly string[], text: boolean): string {
  let out = '['
  for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + (text ? jsonText(v[i]) : jsonString(v[i]))
  return out + ']'
}

type HeaderValue = string | readonly string[] | undefined

/**
 * The first `n` names and values of a header map, as enumerated: request headers (byte strings,
 * written as their text), or an already-text `HeaderMap`.
 */
function headersJson (names: readonly string[], values: readonly HeaderValue[], n: number, redact: ReadonlySet<string> | undefined, text: boolean): string {
  let out = ''
  let prev = -1
  for (let i = 0; i < n; i++) {
    const k = names[i]
    const v = values[i]
    if (v === undefined) continue
    if (redact !== undefined && redact.has(k)) {
      out += keys.piece(k, prev, true) + REDACTED
      prev = 1
    } else if (typeof v === 'string') {
      out += keys.piece(k, prev, true) + (text ? jsonTextInner(v) : jsonInner(v))
      prev = 1
    } else {
      out += keys.piece(k, prev, false) + arrayJson(v, text)
      prev = 0
    }
  }
  return prev === -1 ? '{}' : prev === 1 ? out + '"}' : out + '}'
}

/**
 * Response header names most responses carry. Node writes its own with capitals (`Date`,
 * `Connection`, `Keep-Alive`): matching them in place saves a slice and a lowercase copy.
 */
const COMMON_NAMES: ReadonlyArray<readonly string[]> = (() => {
  const byLength: string[][] = []
  for (const name of ['content-type', 'content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding',
    'cache-control', 'etag', 'last-modified', 'vary', 'server', 'location', 'set-cookie', 'content-encoding',
    'x-request-id', 'access-control-allow-origin', 'x-powered-by', 'expires', 'pragma', 'accept-ranges']) {
    (byLength[name.length] ??= []).push(name)
  }
  return byLength
})()

/** Whether `block` holds `lower` at `start`, ignoring ASCII case. */
function sameNameAt (block: string, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = block.charCodeAt(start + i)
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== lower.charCodeAt(i)) return false
  }
  return true
}

/** `block.slice(start, end)` lowercased (ASCII letters: names are tokens). */
function lowerName (block: string, start: number, end: number): string {
  const common = COMMON_NAMES[end - start]
  if (common !== undefined) {
    for (let k = 0; k < common.length; k++) if (sameNameAt(block, start, common[k])) return common[k]
  }
  for (let i = start; i < end; i++) {
    const c = block.charCodeAt(i)
    // Past ASCII as in responseHeaders: what toLowerCase makes of it (names are tokens in practice).
    if ((c >= 65 && c <= 90) || c >= 0x80) return block.slice(start, end).toLowerCase()
  }
  return block.slice(start, end)
}

/** Scratch for `responseHeadersJson`: the function is synchronous and calls no user code. */
const names: string[] = []
const scratchLine: HeaderLine = { start: 0, colon: -1, value: 0, end: 0 }

/**
 * The last request headers written: their names and values as enumerated (a copy, array values
 * copied too: the object is the caller's), the redaction set, and their JSON, made flat on its
 * first reuse. A client's requests mostly repeat the previous one's headers to the byte, and
 * comparing them costs a fraction of writing them; the JSON is made from the copy, so what is
 * compared is what was written.
 */
const lastNames: string[] = []
const lastValues: HeaderValue[] = []
let lastRequestRedact: ReadonlySet<string> | undefined
let lastRequestJson = '{}'
let lastRequestFlat = true

/** The JSON of `requestHeaders(headers, redact)`. */
export function requestHeadersJson (headers: IncomingHttpHeaders, redact: ReadonlySet<string>): string {
  if (redact === lastRequestRedact && sameAsLast(headers)) {
    if (!lastRequestFlat) {
      flat(lastRequestJson)
      lastRequestFlat = true
    }
    return lastRequestJson
  }
  let n = 0
  for (const k in headers) {
    const v = headers[k]
    lastNames[n] = k
    lastValues[n] = Array.isArray(v) ? v.slice() : v
    n++
  }
  // Setting an array's length is a call into the runtime: only when it changes.
  if (lastNames.length !== n) {
    lastNames.length = n
    lastValues.length = n
  }
  const json = headersJson(lastNames, lastValues, n, redact, true)
  lastRequestRedact = redact
  lastRequestJson = json
  lastRequestFlat = false
  return json
}

/** Whether `headers` enumerates the names and values kept from the last request headers written. */
function sameAsLast (headers: IncomingHttpHeaders): boolean {
  let n = 0
  for (const k in headers) {
    if (n === lastNames.length || k !== lastNames[n]) return false
    const v = headers[k]
    const w = lastValues[n]
    if (v !== w && !(Array.isArray(v) && Array.isArray(w) && sameList(v, w))) return false
    n++
  }
  return n === lastNames.length
}

function sameList (a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * The last response header block and redaction set written, and their JSON. Most responses of an
 * app repeat the previous one's header block to the byte (Node's Date header changes once a
 * second), and comparing the block costs far less than reading it. A gateway's blocks differ in
 * one place only, the request id it sends back (`x-request-id`): `idAt` is where the previous
 * block held its request's id inside a header value written as it is, `idJsonAt` where that
 * value's characters are in the JSON, so that a block equal to it but for the id there is the
 * JSON with the id replaced.
 */
let lastBlock = ''
let lastRedact: ReadonlySet<string> | undefined
let lastBlockJson = '{}'
/** Whether `lastBlockJson` was made flat: on its first reuse, so a block seen once pays nothing for it. */
let lastFlat = true
let lastId = ''
let idAt = -1
let idJsonAt = -1

/**
 * A request id the JSON writes as it is, that no header line can split, and that changes nothing
 * around it when it replaces another: base64url, as the core's ids are. Both the previous id and
 * the new one must be.
 */
const ID_CHARS = /^[A-Za-z0-9_-]+$/

/**
 * The JSON of `responseHeaders(block, redact)`. `id` is the request's id, which the response may
 * carry in a header (the gateway's `x-request-id`): a block that differs from the previous one
 * only where that one held its own id reuses the previous JSON around the new id.
 */
export function responseHeadersJson (block: string | null | undefined, redact: ReadonlySet<string>, id = ''): string {
  if (typeof block !== 'string') return '{}'
  if (redact === lastRedact) {
    if (block === lastBlock) {
      if (!lastFlat) {
        flat(lastBlockJson)
        lastFlat = true
      }
      return lastBlockJson
    }
    if (idAt !== -1 && id.length === lastId.length && block.length === lastBlock.length && block.startsWith(id, idAt) &&
      sameAround(block, lastBlock, idAt, id.length) && ID_CHARS.test(id)) {
      const json = lastBlockJson.slice(0, idJsonAt) + id + lastBlockJson.slice(idJsonAt + id.length)
      lastBlock = block
      lastBlockJson = json
      lastFlat = false
      lastId = id
      return json
    }
  }
  const json = readResponseHeadersJson(block, redact, id)
  lastBlock = block
  lastRedact = redact
  lastBlockJson = json
  lastFlat = false
  lastId = id
  return json
}

/** Whether `a` and `b` (of one length) are equal but for the `n` characters at `at`. */
function sameAround (a: string, b: string, at: number, n: number): boolean {
  return a.slice(0, at) === b.slice(0, at) && a.slice(at + n) === b.slice(at + n)
}

/** The JSON of the object form, for blocks it orders or merges differently; no id reuse for them. */
function objectPath (block: string, redact: ReadonlySet<string>): string {
  idAt = -1
  const map = responseHeaders(block, redact)
  const mapNames = Object.keys(map)
  return headersJson(mapNames, mapNames.map(k => map[k]), mapNames.length, undefined, false)
}

/**
 * `responseHeadersJson` for a block not seen just before. A block with a repeated name (which
 * makes an array) or a name that looks like an array index (which objects order first) takes the
 * object path, so the output stays exactly the object's JSON.
 */
function readResponseHeadersJson (block: string, redact: ReadonlySet<string>, id: string): string {
  idAt = -1
  idJsonAt = -1
  // Only an id of base64url characters: replacing one such run by another leaves the rest of the
  // value's JSON as it was (the bytes around it decode the same: UTF-8 or, when they are not
  // valid UTF-8, latin1).
  const idIn = id.length === 0 || !ID_CHARS.test(id) ? -1 : block.indexOf(id)
  let out = ''
  let n = 0
  const line = scratchLine
  for (let at = block.indexOf('\r\n'); at !== -1 && nextHeaderLine(block, at, line); at = line.end) {
    if (line.colon === -1) continue
    const name = lowerName(block, line.start, line.colon)
    const c = name.charCodeAt(0)
    if (c >= 48 && c <= 57) return objectPath(block, redact)
    for (let i = 0; i < n; i++) if (names[i] === name) return objectPath(block, redact)
    names[n] = name
    out += keys.piece(name, n === 0 ? -1 : 1, true)
    if (redact.has(name)) {
      out += REDACTED
    } else {
      const value = block.slice(line.value, line.end)
      const json = jsonTextInner(value)
      // The id inside a value written as it is: where it sits in the JSON.
      if (idIn >= line.value && idIn + id.length <= line.end && json === value) {
        idAt = idIn
        idJsonAt = out.length + (idIn - line.value)
      }
      out += json
    }
    n++
  }
  return n === 0 ? '{}' : out + '"}'
}
