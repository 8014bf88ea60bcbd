import type { LogRecord, Writer } from '../types.js'

/**
 * Writes a record's preformatted `line` field as it is. For streams whose wire format is fixed
 * elsewhere (the Apache forensic lines, graphite plaintext), where re-serializing would be wrong.
 * The producer guarantees that the line holds no raw newline.
 */
export function rawWriter (): Writer {
  return {
    line (rec: LogRecord) {
      const line = rec.line
      return typeof line === 'string' ? line : undefined
    }
  }
}
