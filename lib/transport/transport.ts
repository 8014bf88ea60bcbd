import { QueueChannel, DEFAULT_CLOSE_TIMEOUT } from './channel.js'
import type { ChannelEnv } from './channel.js'
import { DatagramChannel } from './datagram-channel.js'
import { FileSink } from './file-sink.js'
import { fileUnwritable } from './file-access.js'
import { workerFilePath } from './worker-file.js'
import { checkDefaults, connectionKey, resolveChannel } from './options.js'
import type { ChannelConfig } from './options.js'
import type { Sink } from './sink.js'
import { StdoutSink } from './stdout-sink.js'
import { StreamLink } from './stream-link.js'
import type { Channel, ChannelDefaults, ChannelStats, Transport, TransportOptions } from './types.js'

const DEFAULT_WARN_INTERVAL = 30000

/**
 * The registry of named channels. Channels naming the same stream destination with the same
 * connection options share one connection (and channels naming the same file share one file),
 * each keeping its own queue and counters.
 */
export class SocketTransport implements Transport {
  private readonly channels = new Map<string, Channel>()
  private readonly sinks = new Map<string, { sink: Sink, cfg: ChannelConfig }>()
  private readonly defaults: ChannelDefaults
  private readonly env: ChannelEnv
  private closing: Promise<Record<string, ChannelStats>> | null = null

  constructor (opts: TransportOptions, private readonly owner = 'waf-socket') {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${owner}: options must be an object`)
    const { channels } = opts
    if (channels === null || typeof channels !== 'object' || Array.isArray(channels)) {
      throw new TypeError(`${owner}: option "channels" must be an object of channel name to URL or channel options`)
    }
    this.defaults = checkDefaults(opts.defaults, owner)
    const warnInterval = opts.warnInterval ?? DEFAULT_WARN_INTERVAL
    if (typeof warnInterval !== 'number' || !Number.isInteger(warnInterval) || warnInterval < 0) {
      throw new TypeError(`${owner}: option "warnInterval" must be a whole number of ms >= 0, got ${String(warnInterval)}`)
    }
    if (opts.logger !== undefined && typeof opts.logger?.warn !== 'function') {
      throw new TypeError(`${owner}: option "logger" must have a warn(obj, msg) method`)
    }
    if (opts.onWarning !== undefined && typeof opts.onWarning !== 'function') {
      throw new TypeError(`${owner}: option "onWarning" must be a function of the warning`)
    }
    this.env = { logger: opts.logger, onWarning: opts.onWarning, warnInterval }
    // Check every channel before opening any, so a bad one leaves nothing running.
    const configs = Object.entries(channels).map(([name, spec]) => resolveChannel(name, spec, this.defaults, owner))
    for (const cfg of configs) this.checkWritable(cfg)
    const files = new Map<string, ChannelConfig>()
    for (const cfg of configs) {
      if (cfg.endpoint.kind !== 'file') continue
      const first = files.get(cfg.endpoint.path)
      if (first === undefined) files.set(cfg.endpoint.path, cfg)
      else this.checkSameFile(first, cfg)
    }
    for (const cfg of configs) this.create(cfg)
  }

  channel (name: string): Channel {
    const ch = this.channels.get(name)
    if (ch === undefined) {
      const known = [...this.channels.keys()].map(n => JSON.stringify(n)).join(', ')
      throw new Error(`${this.owner}: there is no channel ${JSON.stringify(name)}; configured: ${known.length > 0 ? known : 'none'}`)
    }
    return ch
  }

  has (name: string): boolean {
    return this.channels.has(name)
  }

  open (name: string, url: string): Channel {
    const existing = this.channels.get(name)
    if (existing !== undefined) return existing
    if (this.closing !== null) throw new Error(`${this.owner}: the transport is closed; channel ${JSON.stringify(name)} cannot be opened`)
    const cfg = resolveChannel(name, url, this.defaults, this.owner)
    this.checkShared(cfg)
    this.checkWritable(cfg)
    return this.create(cfg)
  }

  names (): string[] {
    return [...this.channels.keys()]
  }

  stats (): Record<string, ChannelStats> {
    const out: Record<string, ChannelStats> = {}
    for (const [name, ch] of this.channels) out[name] = ch.stats()
    return out
  }

  /**
   * Reopens every file the channels write (logrotate's `postrotate`: the files were renamed
   * aside). What is queued goes to the old files first; resolves the paths once all are open anew.
   */
  async reopen (): Promise<string[]> {
    const files: Array<[string, FileSink]> = []
    for (const [key, { sink }] of this.sinks) {
      if (sink instanceof FileSink && !sink.finished) files.push([key.slice('file:'.length), sink])
    }
    await Promise.all(files.map(([, sink]) => sink.reopen()))
    return files.map(([file]) => file)
  }

  /** Drains every channel within `timeoutMs` (all at once, one deadline), then the final stats. */
  close (timeoutMs = DEFAULT_CLOSE_TIMEOUT): Promise<Record<string, ChannelStats>> {
    if (this.closing === null) this.closing = this.closeAll(timeoutMs)
    return this.closing
  }

  private async closeAll (timeoutMs: number): Promise<Record<string, ChannelStats>> {
    const entries = [...this.channels]
    const finals = await Promise.all(entries.map(([, ch]) => ch.close(timeoutMs)))
    const out: Record<string, ChannelStats> = {}
    entries.forEach(([name], i) => { out[name] = finals[i] })
    return out
  }

  /** Two channels on one file must agree on how it is written. */
  private checkShared (cfg: ChannelConfig): void {
    if (cfg.endpoint.kind !== 'file') return
    const other = this.sinks.get(sinkKey(cfg))
    if (other !== undefined && !other.sink.finished) this.checkSameFile(other.cfg, cfg)
  }

  /** A file channel that cannot write its file is refused at start, as nginx refuses such a log. */
  private checkWritable (cfg: ChannelConfig): void {
    if (cfg.endpoint.kind !== 'file') return
    const problem = fileUnwritable(workerFilePath(cfg.endpoint.path, cfg.rotate !== undefined))
    if (problem !== undefined) throw new Error(`${this.owner}: channel ${JSON.stringify(cfg.name)} cannot write ${cfg.url}: ${problem}`)
  }

  private checkSameFile (other: ChannelConfig, cfg: ChannelConfig): void {
    if (other.gzip !== cfg.gzip || JSON.stringify(other.rotate) !== JSON.stringify(cfg.rotate)) {
      throw new TypeError(`${this.owner}: channel ${JSON.stringify(cfg.name)}: options "gzip" and "rotate" must match those of channel ${JSON.stringify(other.name)}, which writes the same file`)
    }
  }

  private create (cfg: ChannelConfig): Channel {
    let ch: Channel
    if (cfg.endpoint.kind === 'udp') {
      ch = new DatagramChannel(cfg, this.env)
    } else {
      const key = sinkKey(cfg)
      let entry = this.sinks.get(key)
      // A sink closes with its last channel; a channel opened after that gets a new one.
      if (entry === undefined || entry.sink.finished) {
        entry = { sink: makeSink(cfg), cfg }
        this.sinks.set(key, entry)
      }
      ch = new QueueChannel(cfg, entry.sink, this.env)
    }
    this.channels.set(cfg.name, ch)
    return ch
  }
}

function sinkKey (cfg: ChannelConfig): string {
  const e = cfg.endpoint
  if (e.kind === 'file') return `file:${workerFilePath(e.path, cfg.rotate !== undefined)}`
  if (e.kind === 'stdout') return 'stdout'
  return connectionKey(cfg)
}

function makeSink (cfg: ChannelConfig): Sink {
  const e = cfg.endpoint
  if (e.kind === 'file') return new FileSink(cfg, workerFilePath(e.path, cfg.rotate !== undefined))
  if (e.kind === 'stdout') return new StdoutSink(cfg.retry)
  return new StreamLink(cfg)
}
