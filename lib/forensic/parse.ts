import { forensicUnescape } from './escape.js'

/** A "+" line read back: the request line and headers as the bytes received (latin1 strings). */
export interface ForensicStart {
  phase: '+'
  id: string
  requestLine: string
  headers: Array<[string, string]>
}

/** A "-" line: the request with this id finished. */
export interface ForensicEnd {
  phase: '-'
  id: string
}

export type ForensicEntry = ForensicStart | ForensicEnd

/**
 * Reads one forensic line (without its newline). Escapes are undone, so the strings hold the
 * bytes received, one char per byte. Throws a SyntaxError for a line that is neither a "+" nor a
 * "-" line, or whose fields are broken. The id is taken as written: httpd without mod_unique_id
 * writes `pid:time:counter` ids, which hold `:`.
 */
export function parseForensicLine (line: string): ForensicEntry {
  const phase = line.charCodeAt(0)
  if (phase === 45 /* - */) {
    const id = line.slice(1)
    if (id.length === 0 || id.indexOf('|') !== -1) throw new SyntaxError('forensic: a "-" line must hold one id')
    return { phase: '-', id }
  }
  if (phase !== 43 /* + */) throw new SyntaxError('forensic: a line must start with "+" or "-"')
  const fields = line.split('|')
  if (fields.length < 2) throw new SyntaxError('forensic: a "+" line needs an id and a request line')
  const id = fields[0].slice(1)
  if (id.length === 0) throw new SyntaxError('forensic: a "+" line needs an id')
  const headers: Array<[string, string]> = []
  for (let i = 2; i < fields.length; i++) {
    const f = fields[i]
    const colon = f.indexOf(':')
    if (colon === -1) throw new SyntaxError(`forensic: header field ${i - 1} has no ":"`)
    headers.push([forensicUnescape(f.slice(0, colon), true), forensicUnescape(f.slice(colon + 1), true)])
  }
  return { phase: '+', id, requestLine: forensicUnescape(fields[1], true), headers }
}

/**
 * The id of a forensic line and its phase, without parsing the rest; undefined for other lines.
 * The id runs to the first `|` for both phases, as check_forensic's `cut -d '|' -f 1` reads it.
 */
export function lineId (line: string): { phase: '+' | '-', id: string } | undefined {
  const phase = line.charCodeAt(0)
  if (phase !== 43 /* + */ && phase !== 45 /* - */) return undefined
  const bar = line.indexOf('|')
  const end = bar === -1 ? line.length : bar
  if (end <= 1) return undefined
  return { phase: phase === 43 ? '+' : '-', id: line.slice(1, end) }
}
