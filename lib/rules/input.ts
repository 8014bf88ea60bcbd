import { hexVal } from './bytes.js'
import { utf8ToBytes } from './regex.js'

/**
 * The request as the engine sees it, free of any framework. Strings are byte strings (see
 * regex.ts): the request target and header values exactly as Node's HTTP parser gives them.
 */
export interface RequestInput {
  method: string
  /** The request target as received: `/p?q=1`, or the absolute form `http://h/p?q=1`. */
  url: string
  /** `HTTP/1.1` (the default). */
  protocol?: string
  /** Header names and values alternating, in received order (Node's `rawHeaders`). Preferred. */
  rawHeaders?: readonly string[]
  /** Headers as an object, used when `rawHeaders` is absent. */
  headers?: Readonly<Record<string, string | readonly string[] | undefined>>
  remoteAddress?: string
  /** The request body, for phase 2. */
  body?: BodyInput
}

export interface BodyInput {
  /** An `application/x-www-form-urlencoded` body (byte string), parsed into ARGS_POST. */
  form?: string
  /** A parsed JSON body, flattened into ARGS_POST with dotted keys (`a.b`, `list.0`). */
  json?: unknown
  /** Arguments already parsed (the text parts of a multipart body): ARGS_POST as they are. */
  fields?: ReadonlyArray<Pair>
  /** The body as received (byte string): REQUEST_BODY. Defaults to `form`, or the JSON re-serialized. */
  raw?: string
  /** Uploaded files: FILES (field → file name) and FILES_NAMES. */
  files?: ReadonlyArray<{ field: string, filename: string, /** Bytes of the file's content (FILES_SIZES, FILES_COMBINED_SIZE). */ size?: number }>
  /** A body the parser rejected: REQBODY_ERROR is 1 and REQBODY_ERROR_MSG this text. */
  error?: string
}

/** One `name=value` pair, both byte strings. */
export interface Pair {
  key: string
  value: string
}

const PLUS = /\+/g
const PCT_U = /%u/i

/**
 * `%HH` to bytes; with `plus`, `+` to a space. Invalid escapes stay as they are, as in
 * ModSecurity's non-strict decoding.
 */
export function percentDecode (s: string, plus: boolean): string {
  const pct = s.indexOf('%')
  if (pct === -1) return plus && s.indexOf('+') !== -1 ? s.replace(PLUS, ' ') : s
  // The native unescape() has these semantics (%HH to the byte, invalid escapes kept), except
  // that it also reads %uHHHH: only when there is none is it used.
  if (!PCT_U.test(s)) return unescape(plus ? s.replace(PLUS, ' ') : s)
  let out = ''
  let from = 0
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c === 43 && plus) {
      out += s.slice(from, i) + ' '
      from = i + 1
    } else if (c === 37 && i + 2 < n) {
      const hi = hexVal(s.charCodeAt(i + 1))
      const lo = hexVal(s.charCodeAt(i + 2))
      if (hi >= 0 && lo >= 0) {
        out += s.slice(from, i) + String.fromCharCode(hi * 16 + lo)
        i += 2
        from = i + 1
      }
    }
  }
  return from === 0 ? s : out + s.slice(from)
}

/** Splits `a=1&b=2` into decoded pairs; a part without `=` is a key with an empty value. */
export function parsePairs (text: string, out: Pair[]): void {
  if (text.length === 0) return
  let start = 0
  while (start <= text.length) {
    let end = text.indexOf('&', start)
    if (end === -1) end = text.length
    if (end > start) {
      const eq = text.indexOf('=', start)
      if (eq === -1 || eq > end) out.push({ key: percentDecode(text.slice(start, end), true), value: '' })
      else out.push({ key: percentDecode(text.slice(start, eq), true), value: percentDecode(text.slice(eq + 1, end), true) })
    }
    start = end + 1
  }
}

/**
 * `Cookie: a=1; b=2` into pairs, as ModSecurity v3 splits it: on `;`, at the first `=`; keys
 * left-trimmed, empty keys skipped, trailing blanks of the last pair dropped; nothing decoded.
 */
export function parseCookies (header: string, out: Pair[]): void {
  for (const part of header.trimEnd().split(';')) {
    const eq = part.indexOf('=')
    let key = eq === -1 ? part : part.slice(0, eq)
    let k = 0
    while (k < key.length && (key.charCodeAt(k) === 32 || key.charCodeAt(k) === 9)) k++
    if (k > 0) key = key.slice(k)
    if (key.length === 0) continue
    out.push({ key, value: eq === -1 ? '' : part.slice(eq + 1) })
  }
}

/**
 * A JSON value flattened into dotted keys: `{"a":{"b":[1,"x"]}}` gives `a.b.0=1`, `a.b.1=x`.
 * Iterative, so a deeply nested body cannot overflow the stack; stops after `max` pairs.
 * Returns false when it stopped early.
 */
export function flattenJson (value: unknown, out: Pair[], max: number): boolean {
  const stack: Array<[string, unknown]> = [['', value]]
  while (stack.length > 0) {
    const [prefix, v] = stack.pop() as [string, unknown]
    if (v !== null && typeof v === 'object') {
      const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as [string, unknown]) : Object.entries(v as Record<string, unknown>)
      // Reversed onto the stack so pairs come out in document order.
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i]
        const key = utf8ToBytes(k)
        stack.push([prefix.length === 0 ? key : `${prefix}.${key}`, x])
      }
      continue
    }
    if (out.length >= max) return false
    const text = v === null || v === undefined ? '' : typeof v === 'string' ? utf8ToBytes(v) : String(v)
    out.push({ key: prefix, value: text })
  }
  return true
}

/** The parts of a request target the collections need. */
export interface UrlParts {
  /** The target as received. */
  raw: string
  /** Without scheme and authority when the target had them. */
  local: string
  path: string
  /** After the first `?`, undecoded; '' when there is none. */
  query: string
  hasQuery: boolean
}

export function splitUrl (url: string): UrlParts {
  let local = url
  if (url.length > 0 && url.charCodeAt(0) !== 47) {
    const scheme = url.indexOf('://')
    if (scheme > 0) {
      const slash = url.indexOf('/', scheme + 3)
      local = slash === -1 ? '/' : url.slice(slash)
    }
  }
  const q = local.indexOf('?')
  return {
    raw: url,
    local,
    path: q === -1 ? local : local.slice(0, q),
    query: q === -1 ? '' : local.slice(q + 1),
    hasQuery: q !== -1
  }
}
