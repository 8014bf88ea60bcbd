import type { FtwInput } from './ftw-yaml.js'

/**
 * Builds the bytes go-ftw sends for a test input, with go-ftw's quirks kept, since the CRS
 * tests were written against them:
 * - headers form a map keyed case-sensitively and are written sorted by name (byte order);
 * - with `autocomplete_headers` (the default) and a body, `Content-Type:
 *   application/x-www-form-urlencoded` is added unless a header named exactly `Content-Type`
 *   exists, and a urlencoded body that does not look escaped is escaped pair by pair;
 * - a `multipart/form-data;` body has its LF turned into CRLF;
 * - `Connection: close` is added, and `Content-Length` when there is a body or the method
 *   matches go-ftw's `^POST|PUT|PATCH|DELETE$`;
 * - `data` may hold a Go template; only the `{{ "x" | repeat N }}` form the CRS uses is known.
 * `encoded_request` is the whole request, base64, sent as is.
 */
export function buildFtwRequest (input: FtwInput): Buffer {
  if (input.encoded_request !== undefined) return Buffer.from(String(input.encoded_request), 'base64')
  const method = input.method ?? 'GET'
  const uri = input.uri ?? '/'
  const version = input.version ?? 'HTTP/1.1'
  const autocomplete = input.autocomplete_headers ?? true
  const headers = new Map<string, string>()
  for (const [k, v] of Object.entries(input.headers ?? {})) headers.set(k, v === null || v === undefined ? '' : String(v))
  const add = (k: string, v: string): void => { if ((headers.get(k) ?? '') === '') headers.set(k, v) }

  let data = bodyOf(input)
  if (data.length > 0 && autocomplete) {
    add('Content-Type', 'application/x-www-form-urlencoded')
    if (headers.get('Content-Type') === 'application/x-www-form-urlencoded') data = encodeFormIfRaw(data)
  }
  if ((headers.get('Content-Type') ?? '').startsWith('multipart/form-data;')) data = lfToCrlf(data)
  if (autocomplete) {
    add('Connection', 'close')
    if (data.length > 0 || /^POST|PUT|PATCH|DELETE$/.test(method)) add('Content-Length', String(data.length))
  }
  const names = [...headers.keys()].sort(byteOrder)
  let head = `${method} ${uri} ${version}\r\n`
  for (const k of names) head += `${k}: ${headers.get(k)!}\r\n`
  head += '\r\n'
  return Buffer.concat([Buffer.from(head, 'utf8'), data])
}

function bodyOf (input: FtwInput): Buffer {
  if (input.data !== undefined && input.data !== null) return Buffer.from(expandTemplate(String(input.data)), 'utf8')
  if (input.encoded_data !== undefined) return Buffer.from(String(input.encoded_data), 'base64')
  return Buffer.alloc(0)
}

const REPEAT = /\{\{\s*"((?:[^"\\]|\\.)*)"\s*\|\s*repeat\s+(\d+)\s*\}\}/g

export function expandTemplate (data: string): string {
  if (!data.includes('{{')) return data
  const out = data.replace(REPEAT, (_m, s: string, n: string) => JSON.parse(`"${s}"`).repeat(Number(n)))
  if (out.includes('{{')) throw new Error(`unsupported Go template in data: ${data.slice(0, 60)}`)
  return out
}

/** go-ftw escapes a urlencoded body only when unescaping it would change nothing. */
function encodeFormIfRaw (data: Buffer): Buffer {
  const s = data.toString('latin1')
  if (s.includes('%') || s.includes('+')) return data
  const pairs = s.split('&').map(token => {
    const eq = token.indexOf('=')
    if (eq === -1) return queryEscape(token)
    return queryEscape(token.slice(0, eq)) + '=' + queryEscape(token.slice(eq + 1))
  })
  return Buffer.from(pairs.join('&'), 'latin1')
}

/** Go's url.QueryEscape over bytes (the string holds one byte per char). */
export function queryEscape (s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95 || c === 46 || c === 126) {
      out += s[i]
    } else if (c === 32) {
      out += '+'
    } else {
      out += '%' + c.toString(16).toUpperCase().padStart(2, '0')
    }
  }
  return out
}

function lfToCrlf (data: Buffer): Buffer {
  const out: number[] = []
  for (const b of data) {
    if (b === 10) out.push(13)
    out.push(b)
  }
  return Buffer.from(out)
}

function byteOrder (a: string, b: string): number {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  return Buffer.compare(x, y)
}
