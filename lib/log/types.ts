import type { Escape } from '../text/escape.js'
import type { RecordSource } from '../access/record-source.js'
import { kSource } from '../access/record-source.js'

export type { SourceRequest, SourceSocket } from '../source-request.js'
export type { RecordSource } from '../access/record-source.js'
export { kSource } from '../access/record-source.js'

/** A record of a stream: a plain object that the writers serialize. */
export type LogRecord = Record<string, unknown>

/**
 * What a typed record may be: any object type. Record interfaces (AccessRecord …) declare their
 * fields without an index signature, so a misspelt field is a compile error and a union of record
 * types narrows; the writers read them as LogRecord.
 */
export type AnyRecord = object

export interface SourcedRecord extends LogRecord {
  [kSource]?: RecordSource
}

/**
 * Makes the records of a stream from their source, so that a stream builds a record only when a
 * filter or listener needs the object: a writer that reads the source directly (nginx), or the
 * producer's own serializer for the `json` writer, writes without one.
 */
export interface RecordProducer<R extends AnyRecord = LogRecord> {
  build(src: RecordSource): R
  /** The JSON line of `build(src)`, exactly `jsonLine(build(src))`, built without the object. */
  json?(src: RecordSource): string
}

/** Serializes records into lines for one filter. Built once when the filter is added. */
export interface Writer<R extends LogRecord = LogRecord> {
  /** The line for a record, without a newline; `undefined` writes nothing. */
  line(rec: R): string | undefined
  /** The line straight from the record's source, for writers that need nothing else (nginx). */
  lineFromSource?(src: RecordSource): string | undefined
  /** Lines written once to each channel before its first record (a TSV header). */
  header?(): string[]
  /** Lines written to each channel that got a header when the filter closes (a TSV `#close`). */
  footer?(): string[]
}

export type WriterKind = 'json' | 'tsv' | 'nginx' | 'raw'

/** Zeek types for the `tsv` writer's `#types` line. `time` values are epoch ms, written as seconds. */
/**
 * The fields a stream declares for column writers (TSV): the column paths in order and their
 * Zeek types. A `writer: 'tsv'` filter without `include` writes these columns.
 */
export interface StreamFields {
  readonly columns: readonly string[]
  readonly types: Readonly<Record<string, TsvType>>
}

export type TsvType = 'string' | 'count' | 'int' | 'double' | 'bool' | 'time' | 'interval' | 'addr' | 'port' | 'vector[string]' | 'set[string]'

export interface FilterSpec<R extends AnyRecord = LogRecord> {
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
  /** For `writer: 'nginx'`: a format name (`combined`, or one defined with `defineFormat`) or an nginx `log_format` string. */
  format?: string
  /** For `writer: 'nginx'`: the escaping of variable values; overrides the named format's own. */
  escape?: Escape
  /** For `writer: 'tsv'`: the Zeek type of a field (by output name), where the first record's value would guess wrong. */
  types?: Record<string, TsvType>
  /** Dotted field names to keep. For `tsv` they are also the columns, in this order. */
  include?: string[]
  /** Dotted field names to drop. */
  exclude?: string[]
  /** Output names for dotted field names. */
  fieldNameMap?: Record<string, string>
  /** `false` vetoes the write of this record through this filter. */
  policy?: (rec: R) => boolean
}
