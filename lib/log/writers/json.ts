import type { LogRecord, Writer } from '../types.js'

/**
 * One JSON object per line. JSON.stringify escapes CR, LF and every control byte, so no value can
 * split a line; U+2028 and U+2029 are escaped too, since some line readers (JavaScript tooling)
 * treat them as line ends.
 */
export function jsonLine (rec: unknown): string {
  const s = JSON.stringify(rec)
  if (s.indexOf('\u2028') === -1 && s.indexOf('\u2029') === -1) return s
  return s.replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029')
}

export function jsonWriter (): Writer {
  return { line: (rec: LogRecord) => jsonLine(rec) }
}
