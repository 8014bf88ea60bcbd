/**
 * Reads a request head from the raw bytes that Node's HTTP parser refused (`err.rawPacket` of a
 * `clientError`), so that the forensic log can still record what arrived. It reads the way httpd
 * reads headers (ap_get_mime_headers_core): a value loses its leading and trailing blanks, and an
 * obsolete line folding (a line that starts with SP or HTAB) joins the previous value with one
 * space in place of the blanks around the fold. Lines end at LF, an optional CR before it dropped.
 */

export interface RawHead {
  /** The first line, as received. */
  requestLine: string
  /** Flat name, value, … pairs, like `IncomingMessage#rawHeaders`. */
  rawHeaders: string[]
  /** Whether the blank line that ends the head was seen. */
  complete: boolean
}

function isBlank (c: number): boolean {
  return c === 32 || c === 9
}

function trimBlanks (s: string): string {
  let a = 0
  let b = s.length
  while (a < b && isBlank(s.charCodeAt(a))) a++
  while (b > a && isBlank(s.charCodeAt(b - 1))) b--
  return a === 0 && b === s.length ? s : s.slice(a, b)
}

/**
 * Whether a line reads as a request line (`METHOD SP target SP HTTP/…`): its last space-separated
 * word starts with `HTTP/`. A packet that starts mid-request (a header or body line) does not.
 */
export function looksLikeRequestLine (line: string): boolean {
  const sp = line.lastIndexOf(' ')
  return sp > 0 && line.indexOf(' ') < sp && line.startsWith('HTTP/', sp + 1)
}

/**
 * The head at the start of `packet` (a latin1 string), or undefined when the packet does not
 * start with a request line. Only complete lines are read; a header line cut off by the end of
 * the packet is left out.
 */
export function readRawHead (packet: string): RawHead | undefined {
  let nl = packet.indexOf('\n')
  const firstEnd = nl === -1 ? packet.length : nl
  const requestLine = stripCr(packet.slice(0, firstEnd))
  if (!looksLikeRequestLine(requestLine)) return undefined
  const rawHeaders: string[] = []
  let complete = false
  let pos = nl + 1
  while (nl !== -1 && pos < packet.length) {
    nl = packet.indexOf('\n', pos)
    if (nl === -1) break
    const line = stripCr(packet.slice(pos, nl))
    pos = nl + 1
    if (line.length === 0) {
      complete = true
      break
    }
    if (isBlank(line.charCodeAt(0))) {
      // obs-fold: continues the previous header's value, its leading blanks replaced by one space.
      const last = rawHeaders.length - 1
      if (last > 0) rawHeaders[last] = trimBlanks(rawHeaders[last]) + ' ' + trimBlanks(line)
      continue
    }
    const colon = line.indexOf(':')
    if (colon === -1) rawHeaders.push(line, '')
    else rawHeaders.push(line.slice(0, colon), line.slice(colon + 1))
  }
  for (let i = 1; i < rawHeaders.length; i += 2) rawHeaders[i] = trimBlanks(rawHeaders[i])
  return { requestLine, rawHeaders, complete }
}

function stripCr (s: string): string {
  return s.length > 0 && s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s
}

/**
 * The value of the first Host header in `packet` (a latin1 string), read even when the packet
 * does not start with a request line, so that a refused request still gets its domain.
 */
export function hostOfRawHead (packet: string): string | undefined {
  return HOST_LINE.exec(packet)?.[1]
}

const HOST_LINE = /\r\nhost:[ \t]*([^\r\n]*)/i
