import type { AnyRecord, FilterSpec, LogRecord, RecordProducer, RecordSource, StreamFields } from './types.js'
import { CompiledFilter, LogStream } from './stream.js'
import type { ChannelSource, FilterStats, WriteListener } from './stream.js'
import { FormatRegistry } from '../access/formats.js'
import type { FormatDefinition } from '../access/formats.js'

/** The streams every log plugin writes to. */
export const STANDARD_STREAMS = ['access', 'attack', 'forensic', 'heartbeat'] as const
export type StandardStream = typeof STANDARD_STREAMS[number]

/**
 * The record type of a stream in a framework whose streams are typed by `M` (stream name to record
 * type): `M[S]` for a stream `M` names, LogRecord for any other.
 */
export type RecordOf<M, S extends string> = S extends keyof M ? (M[S] extends AnyRecord ? M[S] : LogRecord) : LogRecord

export interface LogFrameworkOptions {
  /** How many channels `path` filters may open, per filter. */
  maxPathChannels?: number
  /** Where errors thrown by filters and listeners go. */
  onError?: (err: unknown, stream: string) => void
}

export interface StreamStats {
  enabled: boolean
  records: number
  unaccepted: number
  filters: Record<string, FilterStats>
}

/**
 * A Zeek-style logging framework: named streams of records, each with filters that choose fields,
 * a writer and a channel. Decorated on Fastify as `wafLog`, typed by WafStreams, so that a
 * filter's `policy` and `path` and a listener get the stream's own record type.
 */
export class LogFramework<M extends { [K in keyof M]: AnyRecord } = Record<never, never>> {
  private readonly streams = new Map<string, LogStream<LogRecord>>()
  private readonly maxPathChannels: number
  private readonly onError: (err: unknown, stream: string) => void
  /** Named nginx formats (`combined`, and those from `defineFormat`) for `writer: 'nginx'` filters. */
  readonly formats = new FormatRegistry()

  constructor (private readonly channels: ChannelSource, opts: LogFrameworkOptions = {}) {
    const max = opts.maxPathChannels ?? 64
    if (!Number.isInteger(max) || max < 0) throw new TypeError('wafLog: option "maxPathChannels" must be a whole number >= 0')
    this.maxPathChannels = max
    this.onError = opts.onError ?? (() => {})
    for (const name of STANDARD_STREAMS) this.createStream(name)
  }

  /** Creates a stream; creating one that exists returns the existing stream. */
  createStream<R extends AnyRecord = LogRecord> (name: string): LogStream<R> {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('wafLog.createStream: the stream name must be a non-empty string')
    let s = this.streams.get(name)
    if (s === undefined) {
      s = new LogStream(name, err => this.onError(err, name))
      this.streams.set(name, s)
    }
    return s as unknown as LogStream<R>
  }

  hasStream (name: string): boolean {
    return this.streams.has(name)
  }

  stream<R extends AnyRecord = LogRecord> (name: string): LogStream<R> {
    const s = this.streams.get(name)
    if (s === undefined) throw new Error(`wafLog: there is no stream ${JSON.stringify(name)}; create it with createStream`)
    return s as unknown as LogStream<R>
  }

  /** Adds a filter, replacing any filter of the same name on that stream. */
  addFilter<S extends string> (stream: S, spec: FilterSpec<RecordOf<M, S>>): void {
    const s = this.stream<RecordOf<M, S>>(stream)
    s.addFilter(new CompiledFilter<RecordOf<M, S>>(spec, `wafLog stream "${stream}"`, this.channels, this.maxPathChannels, { stream, formats: this.formats, fields: s.fields }))
  }

  /**
   * Declares a stream's fields: the columns, in order, and Zeek types that a `writer: 'tsv'`
   * filter without `include` writes (filters added from now on). A stream that declares none
   * needs `include` for TSV: columns never come from whichever record happens to be first.
   */
  declareFields (stream: string, fields: StreamFields): void {
    if (fields === null || typeof fields !== 'object' || !Array.isArray(fields.columns) || fields.columns.length === 0 || fields.columns.some(c => typeof c !== 'string' || c.length === 0)) {
      throw new TypeError(`wafLog.declareFields: "columns" of stream ${JSON.stringify(stream)} must be a non-empty list of field paths`)
    }
    this.stream(stream).fields = { columns: [...fields.columns], types: { ...fields.types } }
  }

  /**
   * Names an nginx format for filters with `writer: 'nginx'`, like an nginx `log_format`. It is
   * compiled now, so errors show here; a name can be defined once (`combined` is predefined).
   */
  defineFormat (name: string, def: string | FormatDefinition): void {
    this.formats.define(name, def)
  }

  hasFilter (stream: string, name: string): boolean {
    return this.stream(stream).hasFilter(name)
  }

  removeFilter (stream: string, name: string): boolean {
    return this.stream(stream).removeFilter(name)
  }

  disableStream (stream: string): void {
    this.stream(stream).enabled = false
  }

  enableStream (stream: string): void {
    this.stream(stream).enabled = true
  }

  /** Calls `fn` with every record written to the stream, like a Zeek log event. */
  onWrite<S extends string> (stream: S, fn: WriteListener<RecordOf<M, S>>): void {
    if (typeof fn !== 'function') throw new TypeError('wafLog.onWrite: the listener must be a function')
    this.stream<RecordOf<M, S>>(stream).onWrite(fn)
  }

  /** Writes a record; `false` when the stream is disabled or no filter's channel took it. */
  write (stream: string, rec: AnyRecord): boolean {
    const s = this.streams.get(stream)
    return s === undefined ? false : s.write(rec as LogRecord)
  }

  /**
   * Writes the record `producer` makes from `src`; the object is built only when a listener or a
   * filter needs it (see LogStream.writeFrom).
   */
  writeFrom<R extends AnyRecord> (stream: string, src: RecordSource, producer: RecordProducer<R>): boolean {
    const s = this.streams.get(stream) as LogStream<R> | undefined
    return s === undefined ? false : s.writeFrom(src, producer)
  }

  stats (): Record<string, StreamStats> {
    const out: Record<string, StreamStats> = {}
    for (const [name, s] of this.streams) {
      out[name] = { enabled: s.enabled, records: s.counts.records, unaccepted: s.counts.unaccepted, filters: s.filterStats() }
    }
    return out
  }

  /** Writes the footers (TSV `#close`) of every filter. The transport closes after this. */
  close (): void {
    for (const s of this.streams.values()) s.close()
  }
}
