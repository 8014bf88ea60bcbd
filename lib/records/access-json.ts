import type { IncomingHttpHeaders } from 'node:http'
import type { RecordSource } from '../access/record-source.js'
import { jsonInner, jsonString, jsonText, jsonTextInner } from '../text/json-text.js'
import { headerBlock, responseHeaders, roundMs } from './record-parts.js'
import type { HeaderMap } from './record-parts.js'
import { nextHeaderLine } from '../text/header-lines.js'
import type { HeaderLine } from '../text/header-lines.js'
import { REDACTED } from '../redaction.js'

/**
 * The access record's JSON line, written straight from its source without building the object:
 * exactly `jsonLine(buildAccessRecord(src, worker, node))` (a property test holds the two together).
 *
 * It is the hot path of the access log, and what costs is the number of pieces concatenated (each
 * is a node of a rope that is copied again when the line is flattened), so the line is built from
 * few: string values are written between constant pieces that already hold their quotes, and the
 * text between two header values (quote, comma, name, colon, quote) is one piece made once per
 * header name.
 */

function num (n: number): string {
  return Number.isFinite(n) ? String(n) : 'null'
}

/** ms rounded to µs, as the record holds it. */
function ms (n: number): string {
  return num(roundMs(n))
}

/**
 * The pieces between header values of a JSON object: `{"name":` for the first, `,"name":` for
 * the others, each with the closing quote of a string value before it and the opening quote of a
 * string value after it. Header names are HTTP tokens, which JSON never escapes.
 */
class KeyPieces {
  private readonly cache = new Map<string, string[]>()

  /** `prev`: the previous value was a string (0 or 1, -1 for the first header); `open`: this value is one. */
  piece (name: string, prev: number, open: boolean): string {
    let v = this.cache.get(name)
    if (v === undefined) {
      v = [`{"${name}":`, `{"${name}":"`, `,"${name}":`, `,"${name}":"`, `","${name}":`, `","${name}":"`]
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

/** Request headers (byte strings, written as their text), or an already-text `HeaderMap`. */
function headersJson (headers: HeaderMap | IncomingHttpHeaders, redact: ReadonlySet<string> | undefined, text: boolean): string {
  let out = ''
  let prev = -1
  for (const k in headers) {
    const v = headers[k]
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
    if (c >= 65 && c <= 90) return block.slice(start, end).toLowerCase()
  }
  return block.slice(start, end)
}

/** Scratch for `responseHeadersJson`: the function is synchronous and calls no user code. */
const names: string[] = []
const scratchLine: HeaderLine = { start: 0, colon: -1, value: 0, end: 0 }

/**
 * The JSON of `responseHeaders(block, redact)`, written as the block is read. A block with a
 * repeated name (which makes an array) or a name that looks like an array index (which objects
 * order first) takes the object path, so the output stays exactly the object's JSON.
 */
function responseHeadersJson (block: string | null | undefined, redact: ReadonlySet<string>): string {
  if (typeof block !== 'string') return '{}'
  let out = ''
  let n = 0
  const line = scratchLine
  for (let at = block.indexOf('\r\n'); at !== -1 && nextHeaderLine(block, at, line); at = line.end) {
    if (line.colon === -1) continue
    const name = lowerName(block, line.start, line.colon)
    const c = name.charCodeAt(0)
    if (c >= 48 && c <= 57) return headersJson(responseHeaders(block, redact), undefined, false)
    for (let i = 0; i < n; i++) if (names[i] === name) return headersJson(responseHeaders(block, redact), undefined, false)
    names[n] = name
    out += keys.piece(name, n === 0 ? -1 : 1, true) + (redact.has(name) ? REDACTED : jsonTextInner(block.slice(line.value, line.end)))
    n++
  }
  return n === 0 ? '{}' : out + '"}'
}

/** `"waf"` objects of requests without attacks, bot or CC flags, by mode and action. */
const PLAIN_WAF = new Map<string, string>()

function wafJson (mode: string, action: string, attacks: number, bot: boolean, cc: boolean): string {
  if (attacks !== 0 || bot || cc) {
    return '},"waf":{"mode":' + jsonString(mode) + ',"action":' + jsonString(action) + ',"attacks":' + String(attacks) +
      ',"bot":' + (bot ? 'true' : 'false') + ',"cc":' + (cc ? 'true' : 'false') + '},"worker":'
  }
  const key = mode + ' ' + action
  let s = PLAIN_WAF.get(key)
  if (s === undefined) {
    s = '},"waf":{"mode":' + jsonString(mode) + ',"action":' + jsonString(action) + ',"attacks":0,"bot":false,"cc":false},"worker":'
    if (PLAIN_WAF.size < 64) PLAIN_WAF.set(key, s)
  }
  return s
}

/** `,"node":"…"` of the last node name asked for: one machine name per process, in practice. */
let lastNode = ''
let lastNodeJson = ',"node":""'

function nodeJson (node: string): string {
  if (node !== lastNode) {
    lastNodeJson = ',"node":' + jsonString(node)
    lastNode = node
  }
  return lastNodeJson
}

/** The JSON line of `buildAccessRecord(src, worker, node)`, written without building the object. */
export function accessJson (src: RecordSource, worker: number, node: string): string {
  const { req, ctx } = src
  const url = req.url ?? ''
  const q = url.indexOf('?')
  const up = ctx.upstream
  const proxy = up === undefined ? '0' : ms(up.durationMs)
  const uri = jsonTextInner(url)
  return '{"type":"access","id":"' + jsonInner(ctx.id) +
    '","started_at":' + num(ctx.startedAt) +
    ',"host":"' + jsonTextInner(ctx.domain) +
    '","client_ip":"' + jsonInner(src.clientIp) +
    '","client_port":' + num(src.clientPort) +
    ',"request":{"method":"' + jsonInner(req.method ?? '') +
    '","uri":"' + uri +
    (q === -1 ? '","path":"' + uri + '","args":"' : '","path":"' + jsonTextInner(url.slice(0, q)) + '","args":"' + jsonTextInner(url.slice(q + 1))) +
    '","http_version":"' + jsonInner(req.httpVersion) +
    '","headers":' + headersJson(req.headers, src.redact, true) +
    ',"size":' + num(ctx.bytesIn) +
    '},"response":{"status":' + num(src.status) +
    ',"headers":' + responseHeadersJson(headerBlock(src), src.redact) +
    ',"size":' + num(ctx.bytesOut) +
    (up === undefined
      ? '},"upstream":null,"latencies":{"request":'
      : '},"upstream":{"addr":"' + jsonInner(up.addr) + '","status":' + num(up.status) + ',"response_time":' + proxy + '},"latencies":{"request":') +
    ms(src.requestMs) +
    ',"proxy":' + proxy +
    ',"waf":' + ms(ctx.wafMs) +
    wafJson(ctx.policy.mode, ctx.action, ctx.attacks.length, ctx.bot, ctx.cc) + num(worker) + nodeJson(node) +
    (src.error === undefined ? '}' : ',"error":' + jsonString(src.error) + '}')
}
