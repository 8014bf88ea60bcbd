import { hostname } from 'node:os'
import type { ServerResponse } from 'node:http'
import type { RecordSource } from './record-source.js'
import { formatIso8601, formatTimeLocal, SecondCache, secondsDotMs } from '../text/clock.js'
import { responseHeadBlock } from '../http2.js'
import { argOf, argsOf, basicUser, cookieOf, normalizeUri, pathOf } from './request-parts.js'
import { REDACTED } from '../redaction.js'

/**
 * nginx variables, read from a record's source. A getter returns `undefined` for a variable that
 * is not found (nginx `not_found`), which a format writes as `-` or nothing, depending on escape.
 *
 * Two kinds, as in ngx_http_log_module: the log module's own variables (`$status`, `$time_local`,
 * `$bytes_sent`…) are written as they are; every other variable goes through the format's escape.
 * Getters for `$http_NAME`, `$arg_NAME`… are made once, when a format is compiled.
 */
export type VariableGetter = (src: RecordSource) => string | undefined

export interface Variable {
  get: VariableGetter
  /** Written without escaping (the log module's own variables, whose text is always safe). */
  raw: boolean
}

export { REDACTED }

const timeLocal = new SecondCache(formatTimeLocal)
const timeIso = new SecondCache(formatIso8601)
const HOSTNAME = hostname()

/** One value of a request header: duplicates joined as Node joins them (`, `, or `; ` for Cookie). */
function requestHeader (src: RecordSource, name: string): string | undefined {
  const v = src.req.headers[name]
  if (v === undefined) return undefined
  if (src.redact.has(name)) return REDACTED
  return typeof v === 'string' ? v : v.join(', ')
}

/**
 * A response header as it went out on the wire: read from the header block Node wrote, so that
 * headers set with `writeHead` (Fastify sends that way) and Node's own (`Date`, `Connection`)
 * count. Several lines of one name are joined with `, `.
 */
export function responseHeader (res: ServerResponse | undefined, name: string): string | undefined {
  if (res === undefined) return undefined
  const block = responseHeadBlock(res)
  if (block === undefined) {
    const v = res.getHeader(name)
    if (v === undefined) return undefined
    return Array.isArray(v) ? v.join(', ') : String(v)
  }
  let found: string | undefined
  let at = block.indexOf('\r\n')
  while (at !== -1 && at + 2 < block.length) {
    const start = at + 2
    const end = block.indexOf('\r\n', start)
    if (end === -1 || end === start) break
    if (end - start > name.length && block.charCodeAt(start + name.length) === 58 /* : */ &&
        block.slice(start, start + name.length).toLowerCase() === name) {
      let v = start + name.length + 1
      while (block.charCodeAt(v) === 32 || block.charCodeAt(v) === 9) v++
      const value = block.slice(v, end)
      found = found === undefined ? value : found + ', ' + value
    }
    at = end
  }
  return found
}

/** Bytes of the status line and headers Node wrote. */
export function headerBytes (res: ServerResponse | undefined): number {
  const block = res === undefined ? undefined : responseHeadBlock(res)
  return block === undefined ? 0 : block.length
}

function str (n: number | undefined): string | undefined {
  return n === undefined ? undefined : String(n)
}

function fixed3 (ms: number): string {
  return (Math.round(ms * 1000) / 1000).toFixed(3)
}

/** Variables by name. */
const NAMED: Record<string, Variable> = {
  // ngx_http_log_module's own: never escaped, always found.
  pipe: { raw: true, get: src => src.pipelined ? 'p' : '.' },
  time_local: { raw: true, get: src => timeLocal.at(src.endedAt) },
  time_iso8601: { raw: true, get: src => timeIso.at(src.endedAt) },
  msec: { raw: true, get: src => secondsDotMs(src.endedAt) },
  request_time: { raw: true, get: src => secondsDotMs(src.requestMs) },
  status: { raw: true, get: src => src.status < 10 ? '00' + String(src.status) : src.status < 100 ? '0' + String(src.status) : String(src.status) },
  bytes_sent: { raw: true, get: src => String(src.ctx.bytesOut) },
  body_bytes_sent: { raw: true, get: src => String(Math.max(0, src.ctx.bytesOut - headerBytes(src.res))) },
  request_length: { raw: true, get: src => String(src.ctx.bytesIn) },

  // ngx_http_variables: escaped.
  remote_addr: { raw: false, get: src => src.clientIp },
  remote_port: { raw: false, get: src => str(src.clientPort) },
  remote_user: { raw: false, get: src => basicUser(headerValue(src, 'authorization')) },
  server_addr: { raw: false, get: src => src.req.socket?.localAddress ?? undefined },
  server_port: { raw: false, get: src => str(src.req.socket?.localPort) },
  scheme: { raw: false, get: src => src.req.socket?.encrypted === true ? 'https' : 'http' },
  https: { raw: false, get: src => src.req.socket?.encrypted === true ? 'on' : '' },
  host: { raw: false, get: src => src.ctx.domain },
  hostname: { raw: false, get: () => HOSTNAME },
  pid: { raw: false, get: () => String(process.pid) },
  request: {
    raw: false,
    get: src => src.req.method === undefined || src.req.url === undefined
      ? undefined
      : src.req.method + ' ' + src.req.url + ' HTTP/' + src.req.httpVersion
  },
  request_method: { raw: false, get: src => src.req.method },
  request_uri: { raw: false, get: src => src.req.url },
  uri: { raw: false, get: src => src.req.url === undefined ? undefined : normalizeUri(pathOf(src.req.url)) },
  document_uri: { raw: false, get: src => src.req.url === undefined ? undefined : normalizeUri(pathOf(src.req.url)) },
  args: { raw: false, get: src => src.req.url === undefined ? undefined : argsOf(src.req.url) },
  query_string: { raw: false, get: src => src.req.url === undefined ? undefined : argsOf(src.req.url) },
  is_args: { raw: false, get: src => src.req.url !== undefined && argsOf(src.req.url) !== undefined ? '?' : '' },
  server_protocol: { raw: false, get: src => src.req.method === undefined ? undefined : 'HTTP/' + src.req.httpVersion },
  content_type: { raw: false, get: src => requestHeader(src, 'content-type') },
  content_length: { raw: false, get: src => requestHeader(src, 'content-length') },
  connection: { raw: false, get: src => String(src.connection) },
  connection_requests: { raw: false, get: src => String(src.connectionRequests) },
  request_id: { raw: false, get: src => src.ctx.id },
  upstream_addr: { raw: false, get: src => src.ctx.upstream?.addr },
  upstream_status: { raw: false, get: src => str(src.ctx.upstream?.status) },
  upstream_response_time: { raw: false, get: src => src.ctx.upstream === undefined ? undefined : secondsDotMs(src.ctx.upstream.durationMs) },

  // This suite's own.
  waf_mode: { raw: false, get: src => src.ctx.policy.mode },
  waf_action: { raw: false, get: src => src.ctx.action },
  waf_attacks: { raw: false, get: src => String(src.ctx.attacks.length) },
  waf_rules: { raw: false, get: ruleIds },
  waf_bot: { raw: false, get: src => src.ctx.bot ? '1' : '0' },
  waf_cc: { raw: false, get: src => src.ctx.cc ? '1' : '0' },
  waf_time: { raw: false, get: src => fixed3(src.ctx.wafMs) }
}

function ruleIds (src: RecordSource): string | undefined {
  const attacks = src.ctx.attacks
  if (attacks.length === 0) return undefined
  let out = attacks[0].ruleId
  for (let i = 1; i < attacks.length; i++) out += ',' + attacks[i].ruleId
  return out
}

/** A request header's value, unredacted (for `$remote_user`, which only reads the user name). */
function headerValue (src: RecordSource, name: string): string | undefined {
  const v = src.req.headers[name]
  return v === undefined ? undefined : typeof v === 'string' ? v : v[0]
}

/** A header name from a variable suffix: `user_agent` → `user-agent`. */
function headerName (suffix: string): string {
  return suffix.toLowerCase().replaceAll('_', '-')
}

/** The prefixed families, each making its getter once per variable name. */
const PREFIXED: ReadonlyArray<readonly [string, (suffix: string) => VariableGetter]> = [
  ['http_', suffix => {
    const name = headerName(suffix)
    return src => requestHeader(src, name)
  }],
  ['sent_http_', suffix => {
    const name = headerName(suffix)
    return src => {
      const v = responseHeader(src.res, name)
      return v !== undefined && src.redact.has(name) ? REDACTED : v
    }
  }],
  ['cookie_', suffix => src => {
    const v = cookieOf(headerValueJoined(src, 'cookie'), suffix)
    return v !== undefined && src.redact.has('cookie') ? REDACTED : v
  }],
  ['arg_', suffix => src => src.req.url === undefined ? undefined : argOf(argsOf(src.req.url), suffix)]
]

function headerValueJoined (src: RecordSource, name: string): string | undefined {
  const v = src.req.headers[name]
  return v === undefined ? undefined : typeof v === 'string' ? v : v.join('; ')
}

/** The names that `lookupVariable` knows without a prefix, for error messages and docs. */
export const VARIABLE_NAMES: readonly string[] = Object.keys(NAMED)
export const VARIABLE_PREFIXES: readonly string[] = PREFIXED.map(([p]) => p)

/**
 * The variable for a name as written in a format (without `$`). Names are case-insensitive, as
 * nginx lowercases them. `undefined` for a name nginx would reject as unknown.
 */
export function lookupVariable (written: string): Variable | undefined {
  const name = written.toLowerCase()
  if (Object.hasOwn(NAMED, name)) return NAMED[name]
  for (const [prefix, make] of PREFIXED) {
    if (name.length > prefix.length && name.startsWith(prefix)) return { raw: false, get: make(name.slice(prefix.length)) }
  }
  return undefined
}
