import type { Channel } from '../transport/types.js'
import type { AnyRecord, FilterSpec, LogRecord, RecordProducer, RecordSource, Writer, WriterKind, StreamFields } from './types.js'
import { compileProjection } from './projection.js'
import type { Projection } from './projection.js'
import { createWriter } from './writers/index.js'
import type { WriterEnv } from './writers/index.js'

/** What a stream needs from the transport. */
export interface ChannelSource {
  has(name: string): boolean
  channel(name: string): Channel
  open(name: string, url: string): Channel
}

export interface FilterStats {
  /** Lines this filter handed to a channel, and of those the ones the channel took. */
  lines: number
  accepted: number
  /** Records the policy vetoed. */
  vetoed: number
  /** Records whose `path` named a new channel past `maxPathChannels`, or no usable channel. */
  unrouted: number
}

const URL_LIKE = /^(?:tcp|tls|udp|unix|file):\/\/|^stdout:/

/** A filter compiled once when it is added: projection, writer and routing. */
export class CompiledFilter<R extends AnyRecord = LogRecord> {
  readonly name: string
  readonly stats: FilterStats = { lines: 0, accepted: 0, vetoed: 0, unrouted: 0 }
  /**
   * True when the filter's line depends on nothing but the record's source or its plain JSON: no
   * policy, no projection, a fixed channel, and a writer that can work without the object.
   */
  readonly direct: boolean
  private readonly kind: WriterKind
  private readonly project: Projection | undefined
  private readonly writer: Writer
  private readonly policy: ((rec: R) => boolean) | undefined
  private readonly fixed: Channel | undefined
  private readonly path: ((rec: R) => string) | undefined
  private readonly routed = new Map<string, Channel>()
  /** Channels this filter opened from URLs, bounded by `maxPathChannels`. */
  private opened = 0
  /** URLs whose channel could not be opened. */
  private readonly failed = new Set<string>()
  /** Channels that have had this filter's header. */
  private readonly headed = new Set<Channel>()

  constructor (spec: FilterSpec<R>, owner: string, private readonly channels: ChannelSource, private readonly maxPathChannels: number, env: WriterEnv) {
    if (spec === null || typeof spec !== 'object') throw new TypeError(`${owner}: a filter must be an object`)
    if (typeof spec.name !== 'string' || spec.name.length === 0) throw new TypeError(`${owner}: option "name" must be a non-empty string`)
    const where = `${owner} filter "${spec.name}"`
    this.name = spec.name
    if ((spec.channel === undefined) === (spec.path === undefined)) {
      throw new TypeError(`${where}: give exactly one of option "channel" or option "path"`)
    }
    if (spec.channel !== undefined) {
      if (typeof spec.channel !== 'string' || !channels.has(spec.channel)) {
        throw new TypeError(`${where}: option "channel" names ${JSON.stringify(spec.channel)}, which is not a configured channel`)
      }
      this.fixed = channels.channel(spec.channel)
    } else if (typeof spec.path !== 'function') {
      throw new TypeError(`${where}: option "path" must be a function of the record`)
    }
    this.path = spec.path
    if (spec.policy !== undefined && typeof spec.policy !== 'function') {
      throw new TypeError(`${where}: option "policy" must be a function of the record`)
    }
    this.policy = spec.policy
    this.kind = spec.writer ?? 'json'
    this.writer = createWriter(spec as FilterSpec<LogRecord>, where, env)
    // The tsv writer reads its `include` columns itself, so a projection that only includes is skipped.
    const projection = compileProjection(where, spec)
    this.project = this.kind === 'tsv' && spec.exclude === undefined && spec.fieldNameMap === undefined ? undefined : projection
    this.direct = this.policy === undefined && this.project === undefined && this.fixed !== undefined &&
      this.writer.header === undefined && (this.kind === 'json' || this.writer.lineFromSource !== undefined)
  }

  /** Writes one record; returns whether a channel took the line. */
  write (rec: R): boolean {
    if (this.policy !== undefined && !this.policy(rec)) {
      this.stats.vetoed++
      return false
    }
    const ch = this.fixed ?? this.route(rec)
    if (ch === undefined) {
      this.stats.unrouted++
      return false
    }
    const line = this.writer.line(this.project === undefined ? rec as LogRecord : this.project(rec as LogRecord))
    if (line === undefined) return false
    if (this.writer.header !== undefined && !this.headed.has(ch)) {
      this.headed.add(ch)
      for (const h of this.writer.header()) ch.log(h)
    }
    return this.emit(ch, line)
  }

  /**
   * For a `direct` filter: the line from the source, or `json` (the producer's serialization of
   * the record) for the json writer. Returns whether the channel took it.
   */
  writeDirect (src: RecordSource, json: string | undefined): boolean {
    const line = this.kind === 'json' ? json : (this.writer.lineFromSource as (src: RecordSource) => string | undefined)(src)
    if (line === undefined) return false
    return this.emit(this.fixed as Channel, line)
  }

  get json (): boolean {
    return this.kind === 'json'
  }

  private emit (ch: Channel, line: string): boolean {
    this.stats.lines++
    const ok = ch.log(line)
    if (ok) this.stats.accepted++
    return ok
  }

  private route (rec: R): Channel | undefined {
    const target = (this.path as (rec: R) => string)(rec)
    if (typeof target !== 'string' || target.length === 0) return undefined
    let ch = this.routed.get(target)
    if (ch !== undefined) return ch
    if (this.channels.has(target)) {
      ch = this.channels.channel(target)
    } else {
      if (this.opened >= this.maxPathChannels || !URL_LIKE.test(target) || this.failed.has(target)) return undefined
      try {
        ch = this.channels.open(target, target)
      } catch (err) {
        // Reported once (the stream's onError); later records for it count as unrouted.
        if (this.failed.size < 1024) this.failed.add(target)
        throw err
      }
      this.opened++
    }
    this.routed.set(target, ch)
    return ch
  }

  /** Footers for every channel that got a header. */
  close (): void {
    if (this.writer.footer !== undefined) {
      for (const ch of this.headed) for (const f of this.writer.footer()) ch.log(f)
    }
    this.headed.clear()
  }
}

export type WriteListener<R> = (rec: R) => void

/** A stream of typed records: its filters decide where each record goes and how it looks. */
export class LogStream<R extends AnyRecord = LogRecord> {
  enabled = true
  /** Replaced, never mutated, so a write in progress sees a stable list. */
  private filters: Array<CompiledFilter<R>> = []
  private listeners: Array<WriteListener<R>> = []
  /** Records written while the stream was enabled, and those that no filter took. */
  readonly counts = { records: 0, unaccepted: 0 }
  /** The fields the stream declares for column writers (LogFramework.declareFields). */
  fields: StreamFields | undefined

  constructor (readonly name: string, private readonly onError: (err: unknown) => void) {}

  addFilter (f: CompiledFilter<R>): void {
    const old = this.filters.find(x => x.name === f.name)
    if (old !== undefined) old.close()
    this.filters = [...this.filters.filter(x => x.name !== f.name), f]
  }

  removeFilter (name: string): boolean {
    const old = this.filters.find(x => x.name === name)
    if (old === undefined) return false
    old.close()
    this.filters = this.filters.filter(x => x !== old)
    return true
  }

  hasFilter (name: string): boolean {
    return this.filters.some(f => f.name === name)
  }

  filterNames (): string[] {
    return this.filters.map(f => f.name)
  }

  filterStats (): Record<string, FilterStats> {
    return Object.fromEntries(this.filters.map(f => [f.name, { ...f.stats }]))
  }

  onWrite (fn: WriteListener<R>): void {
    this.listeners = [...this.listeners, fn]
  }

  /** Returns `false` when the stream is disabled or no filter's channel took the record. */
  write (rec: R): boolean {
    if (!this.enabled) return false
    this.counts.records++
    this.notify(rec)
    const filters = this.filters
    let accepted = false
    for (let i = 0; i < filters.length; i++) {
      try {
        if (filters[i].write(rec)) accepted = true
      } catch (err) {
        // A throwing policy or path function costs this filter its line, never the other filters'.
        this.onError(err)
      }
    }
    if (!accepted) this.counts.unaccepted++
    return accepted
  }

  /**
   * Writes the record that `producer` makes from `src`, building the object only if a listener or
   * a filter needs it: direct filters get the nginx line from the source, or the producer's JSON.
   */
  writeFrom (src: RecordSource, producer: RecordProducer<R>): boolean {
    if (!this.enabled) return false
    this.counts.records++
    let rec: R | undefined
    if (this.listeners.length > 0) {
      rec = producer.build(src)
      this.notify(rec)
    }
    const filters = this.filters
    let accepted = false
    let json: string | undefined
    for (let i = 0; i < filters.length; i++) {
      const f = filters[i]
      try {
        let ok: boolean
        if (f.direct && (!f.json || rec === undefined) && (!f.json || producer.json !== undefined)) {
          if (f.json && json === undefined) json = (producer.json as (src: RecordSource) => string)(src)
          ok = f.writeDirect(src, json)
        } else {
          if (rec === undefined) rec = producer.build(src)
          ok = f.write(rec)
        }
        if (ok) accepted = true
      } catch (err) {
        this.onError(err)
      }
    }
    if (!accepted) this.counts.unaccepted++
    return accepted
  }

  private notify (rec: R): void {
    const listeners = this.listeners
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i](rec)
      } catch (err) {
        this.onError(err)
      }
    }
  }

  close (): void {
    for (const f of this.filters) f.close()
  }
}
