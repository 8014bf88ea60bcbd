import type { FilterSpec, LogRecord, TsvType, Writer } from '../types.js'
import { getPath } from '../projection.js'
import { asText } from '../../text/escape.js'
import { formatZeekStamp } from '../../text/clock.js'
import type { WriterEnv } from './env.js'

/**
 * Zeek's ASCII log format: a header (`#separator`, `#set_separator`, `#empty_field`,
 * `#unset_field`, `#path`, `#open`, `#fields`, `#types`), then one tab-separated line per record,
 * and `#close` when the filter closes.
 *
 * Values are written as Zeek writes them: a missing value as `-`, an empty string or array as
 * `(empty)`, booleans as `T`/`F`, arrays joined with `,`. In a string, a tab, every other control
 * byte, DEL and `\` are written `\xhh`, so no value can split a line or a column; inside an array
 * `,` is too. A value that reads exactly `-` or `(empty)` gets its first character escaped, and a
 * line that would start with `#` (and pass for a header) starts with `\x23`. Text is UTF-8; bytes
 * that do not form valid UTF-8 are written `\xhh`.
 *
 * The columns are the filter's `include` list, or else the fields the stream declares
 * (`LogFramework.declareFields`) less `exclude`, renamed by `fieldNameMap`, in order; a stream that
 * declares none needs `include`. Types come from the filter's `types`, else the stream's, else the
 * first value of the column.
 */

const SEPARATOR = '\t'
const SET_SEPARATOR = ','
const EMPTY = '(empty)'
const UNSET = '-'
const LOWER_HEX = '0123456789abcdef'

function hex (c: number): string {
  return '\\x' + LOWER_HEX[c >> 4] + LOWER_HEX[c & 15]
}

/** Control bytes, DEL, backslash, and anything from 0x80 up (checked further). */
const SPECIAL = /[\u0000-\u001f\u007f\\\u0080-\uffff]/

/** A string value as Zeek's ASCII writer writes it; `inSet` escapes the set separator too. */
export function tsvString (s: string, inSet = false): string {
  if (s.length === 0) return EMPTY
  let out: string
  if (!SPECIAL.test(s) && !(inSet && s.indexOf(SET_SEPARATOR) !== -1)) {
    out = s
  } else {
    const t = asText(s)
    // Still a byte string with high bytes: not valid UTF-8, so those bytes are escaped.
    let bytes = false
    if (t === s) {
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i)
        if (c > 0xff) { bytes = false; break }
        if (c >= 0x80) bytes = true
      }
    }
    out = ''
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i)
      if (c < 0x20 || c === 0x7f || c === 0x5c || (bytes && c >= 0x80 && c <= 0xff) || (inSet && c === 0x2c)) out += hex(c)
      else out += t[i]
    }
  }
  if (out === UNSET || out === EMPTY) return hex(out.charCodeAt(0)) + out.slice(1)
  return out
}

const TSV_TYPES: readonly TsvType[] = ['string', 'count', 'int', 'double', 'bool', 'time', 'interval', 'addr', 'port', 'vector[string]', 'set[string]']

function guessType (v: unknown): TsvType {
  if (typeof v === 'number') return Number.isInteger(v) ? (v >= 0 ? 'count' : 'int') : 'double'
  if (typeof v === 'boolean') return 'bool'
  if (Array.isArray(v)) return 'vector[string]'
  return 'string'
}

function renderValue (v: unknown, type: TsvType): string {
  if (v === undefined || v === null) return UNSET
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return UNSET
    if (type === 'time' || type === 'interval') return (v / 1000).toFixed(6)
    return String(v)
  }
  if (typeof v === 'boolean') return v ? 'T' : 'F'
  if (typeof v === 'string') return tsvString(v)
  if (Array.isArray(v)) {
    if (v.length === 0) return EMPTY
    let out = ''
    for (let i = 0; i < v.length; i++) {
      const e = v[i] as unknown
      if (i > 0) out += SET_SEPARATOR
      out += e === undefined || e === null ? UNSET : tsvString(typeof e === 'string' ? e : typeof e === 'object' ? JSON.stringify(e) : String(e), true)
    }
    return out
  }
  if (typeof v === 'object') return tsvString(JSON.stringify(v))
  return tsvString(String(v))
}

function renamed (path: string, map: Record<string, string> | undefined): string {
  return map !== undefined && Object.hasOwn(map, path) ? map[path] : path
}

export function tsvWriter (spec: FilterSpec<LogRecord>, owner: string, env: WriterEnv): Writer {
  if (spec.types !== undefined && (spec.types === null || typeof spec.types !== 'object')) {
    throw new TypeError(`${owner}: option "types" must map field names to Zeek types`)
  }
  const declared = spec.types ?? {}
  for (const [field, type] of Object.entries(declared)) {
    if (!TSV_TYPES.includes(type)) {
      throw new TypeError(`${owner}: option "types.${field}" is ${JSON.stringify(type)}; expected one of ${TSV_TYPES.join(', ')}`)
    }
  }
  // The columns: the filter's `include`, else the stream's declared fields less `exclude`, each
  // renamed by `fieldNameMap` (the projection has renamed the record's fields already).
  const excluded = spec.exclude ?? []
  const paths = spec.include ?? env.fields?.columns.filter(c => !excluded.some(x => c === x || c.startsWith(x + '.')))
  if (paths === undefined) {
    throw new TypeError(`${owner}: writer "tsv" needs option "include" (the columns): stream ${JSON.stringify(env.stream)} declares no fields`)
  }
  const names = paths.map(p => renamed(p, spec.fieldNameMap))
  const columns = names.map(n => n.split('.'))
  const streamTypes = env.fields?.types ?? {}
  // A column's type: the filter's `types`, else the stream's; a column typed by neither takes
  // the type of its first value (the columns themselves are fixed here, never by a record).
  const known = paths.map((p, i) => Object.hasOwn(declared, names[i]) ? declared[names[i]] : Object.hasOwn(streamTypes, p) ? streamTypes[p] : undefined)
  let types: TsvType[] = known.every(k => k !== undefined) ? known as TsvType[] : []

  function fix (rec: LogRecord): void {
    types = known.map((k, i) => k ?? guessType(getPath(rec, columns[i])))
  }

  return {
    line (rec: LogRecord): string {
      if (types.length !== columns.length) fix(rec)
      const cols = columns
      let out = ''
      for (let i = 0; i < cols.length; i++) {
        if (i > 0) out += SEPARATOR
        out += renderValue(getPath(rec, cols[i]), types[i])
      }
      return out.charCodeAt(0) === 35 /* # */ ? hex(35) + out.slice(1) : out
    },
    header (): string[] {
      return [
        '#separator \\x09',
        '#set_separator' + SEPARATOR + SET_SEPARATOR,
        '#empty_field' + SEPARATOR + EMPTY,
        '#unset_field' + SEPARATOR + UNSET,
        '#path' + SEPARATOR + tsvString(env.stream),
        '#open' + SEPARATOR + formatZeekStamp(Date.now()),
        '#fields' + SEPARATOR + names.map(n => tsvString(n)).join(SEPARATOR),
        '#types' + SEPARATOR + types.join(SEPARATOR)
      ]
    },
    footer (): string[] {
      return ['#close' + SEPARATOR + formatZeekStamp(Date.now())]
    }
  }
}
