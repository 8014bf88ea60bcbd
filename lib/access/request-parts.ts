/**
 * The parts of a request that nginx variables read, found the way nginx finds them. Strings are
 * byte strings (latin1), as Node's HTTP parser gives them.
 */

/**
 * The query string of a request target (`$args`): `undefined` when there is none. An empty one
 * (`/p?`) counts as none, as nginx logs `-` for it.
 */
export function argsOf (url: string): string | undefined {
  const q = url.indexOf('?')
  return q === -1 || q === url.length - 1 ? undefined : url.slice(q + 1)
}

/** The path of a request target, without the query string. */
export function pathOf (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

function lowerByte (c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c
}

/** Whether `s` at `at` starts with `name` (ASCII case-insensitive). */
function startsWithCi (s: string, at: number, name: string): boolean {
  if (at + name.length > s.length) return false
  for (let i = 0; i < name.length; i++) {
    if (lowerByte(s.charCodeAt(at + i)) !== lowerByte(name.charCodeAt(i))) return false
  }
  return true
}

/**
 * `$arg_NAME` as ngx_http_arg finds it: the first `NAME=` (case-insensitive) at the start of the
 * query string or right after a `&`; the value runs to the next `&`, undecoded.
 */
export function argOf (args: string | undefined, name: string): string | undefined {
  if (args === undefined || args.length === 0) return undefined
  let at = 0
  for (;;) {
    if (startsWithCi(args, at, name) && args.charCodeAt(at + name.length) === 61 /* = */) {
      const start = at + name.length + 1
      const end = args.indexOf('&', start)
      return end === -1 ? args.slice(start) : args.slice(start, end)
    }
    const amp = args.indexOf('&', at)
    if (amp === -1) return undefined
    at = amp + 1
  }
}

/**
 * `$cookie_NAME` as ngx_http_parse_multi_header_lines finds it in the Cookie header: pairs are
 * separated by `;` or `,`, the name compares case-insensitively, spaces may surround `=`, and the
 * value runs to the next `;`.
 */
export function cookieOf (header: string | undefined, name: string): string | undefined {
  if (header === undefined || name.length > header.length) return undefined
  const end = header.length
  let start = 0
  while (start < end) {
    if (startsWithCi(header, start, name)) {
      let p = start + name.length
      while (p < end && header.charCodeAt(p) === 32) p++
      if (p < end && header.charCodeAt(p) === 61 /* = */) {
        p++
        while (p < end && header.charCodeAt(p) === 32) p++
        let last = p
        while (last < end && header.charCodeAt(last) !== 59 /* ; */) last++
        return header.slice(p, last)
      }
      start = p
    }
    // skip to the next pair
    while (start < end) {
      const c = header.charCodeAt(start++)
      if (c === 59 || c === 44) break
    }
    while (start < end && header.charCodeAt(start) === 32) start++
  }
  return undefined
}

const BASE64 = new Uint8Array(256)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64[c.charCodeAt(0)] = 1

/**
 * `$remote_user` as ngx_http_auth_basic_user finds it: `Basic ` (any case), spaces, base64 up to
 * the first `=`, decoded; the user is what comes before the first `:`, and must not be empty.
 */
export function basicUser (authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length < 6 || !startsWithCi(authorization, 0, 'basic ')) return undefined
  let p = 6
  while (p < authorization.length && authorization.charCodeAt(p) === 32) p++
  let len = 0
  while (p + len < authorization.length) {
    const c = authorization.charCodeAt(p + len)
    if (c === 61 /* = */) break
    if (c > 0xff || BASE64[c] !== 1) return undefined
    len++
  }
  if (len === 0 || len % 4 === 1) return undefined
  const decoded = Buffer.from(authorization.slice(p, p + len), 'base64').toString('latin1')
  const colon = decoded.indexOf(':')
  return colon <= 0 ? undefined : decoded.slice(0, colon)
}

function hexValue (c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  const l = c | 0x20
  if (l >= 97 && l <= 102) return l - 87
  return -1
}

/**
 * `$uri`: the path as nginx normalizes it (ngx_http_parse_complex_uri): `%XX` decoded, a `#` ends
 * the path, runs of `/` merged, `.` and `..` segments resolved (never above the root).
 */
export function normalizeUri (path: string): string {
  if (path.indexOf('%') === -1 && path.indexOf('//') === -1 && path.indexOf('/.') === -1 && path.indexOf('#') === -1) return path
  let decoded = ''
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i)
    if (c === 35 /* # */) break
    if (c === 37 /* % */ && i + 2 < path.length) {
      const hi = hexValue(path.charCodeAt(i + 1))
      const lo = hexValue(path.charCodeAt(i + 2))
      if (hi !== -1 && lo !== -1) {
        decoded += String.fromCharCode(hi * 16 + lo)
        i += 2
        continue
      }
    }
    decoded += path[i]
  }
  const parts = decoded.split('/')
  const out: string[] = []
  for (let i = 1; i < parts.length; i++) {
    const seg = parts[i]
    const last = i === parts.length - 1
    if (seg === '..') {
      out.pop()
      if (last) out.push('')
    } else if (seg === '.') {
      if (last) out.push('')
    } else if (seg.length > 0 || last) {
      out.push(seg)
    }
  }
  return '/' + out.join('/')
}

/** An IPv4 client seen through a dual-stack socket (`::ffff:1.2.3.4`) as plain IPv4. */
export function plainAddress (addr: string | undefined): string | undefined {
  if (addr !== undefined && addr.startsWith('::ffff:') && addr.indexOf('.') !== -1) return addr.slice(7)
  return addr
}
