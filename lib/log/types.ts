import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WafContext } from '../context.js'

/** A record of a stream: a plain object that the writers serialize. */
export type LogRecord = Record<string, unknown>

/**
 * Where a record came from. Records that stand for one request carry it under `kSource`, a
 * symbol key that JSON ignores, so that writers which need the raw request (nginx `$http_NAME`,
 * `$cookie_NAME`…) can read it while the record itself stays redacted.
 */
export interface RecordSource {
  req: IncomingMessage
  res: ServerResponse | undefined
  ctx: WafContext
}

export const kSource: unique symbol = Symbol.for('fastify-waflog.source')

export interface SourcedRecord extends LogRecord {
  [kSource]?: RecordSource
}

/** Serializes records into lines for one filter. Built once when the filter is added. */
export interface Writer<R extends LogRecord = LogRecord> {
  /** The line for a record, without a newline; `undefined` writes nothing. */
  line(rec: R): string | undefined
  /** Written once to each channel before its first record (a TSV header). */
  header?(): string
  /** Written to each channel that got a header when the stream closes (a TSV `#close`). */
  footer?(): string
}

export type WriterKind = 'json' | 'tsv' | 'nginx' | 'raw'

export interface FilterSpec<R extends LogRecord = LogRecord> {
  /** Adding a filter with the name of an existing one replaces it. */
  name: string
  /** The channel to write to. Either this or `path`. */
  channel?: string
  /**
   * Routes a record by its content: returns a channel name, or a channel URL (`file:///…`,
   * `tcp://…`), which is opened on first use, up to the framework's `maxPathChannels`.
   */
  path?: (rec: R) => string
  /** `json` (default), `tsv`, `nginx` (with `format`) or `raw` (the record's `line` field as is). */
  writer?: WriterKind
  /** The nginx `log_format` string, or a format name, for `writer: 'nginx'`. */
  format?: string
  /** Dotted field names to keep. */
  include?: string[]
  /** Dotted field names to drop. */
  exclude?: string[]
  /** Output names for dotted field names. */
  fieldNameMap?: Record<string, string>
  /** `false` vetoes the write of this record through this filter. */
  policy?: (rec: R) => boolean
}
