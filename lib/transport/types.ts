/**
 * The channel contract every log plugin writes through. Kept apart from the
 * implementations so that plugins and writers depend on the shape, not on sockets.
 */

/** Why a line was not delivered. Every dropped line lands in exactly one bucket. */
export interface DropCounts {
  /** The queue held `dropLimit` bytes already. */
  overflow: number
  /** The line can never be sent as one unit (a UDP line over `maxDatagram`). */
  oversize: number
  /** The channel was closed, or its close timeout ran out with lines still queued. */
  closed: number
}

/**
 * Counters of one channel. At every moment
 * `written === sent + queued + dropped.overflow + dropped.oversize + dropped.closed` (in lines).
 */
export interface ChannelStats {
  written: number
  sent: number
  queued: number
  dropped: DropCounts
  bytesSent: number
  reconnects: number
  errors: number
  connected: boolean
}

export interface Channel {
  readonly name: string
  /** The destination, as configured (`tcp://host:port`, `file:///path`, `stdout:` …). */
  readonly url: string
  /**
   * Queues one record. `line` carries no trailing newline: the channel frames it.
   * Never throws, never blocks; returns `false` when the line was dropped (and counted).
   */
  log(line: string): boolean
  /** Starts a write of whatever is queued, without waiting for it. */
  flush(): void
  stats(): ChannelStats
  /** Drains what it can within `timeoutMs`, counts the rest as `dropped.closed`, then resolves the final stats. */
  close(timeoutMs?: number): Promise<ChannelStats>
}

export interface Transport {
  /** The named channel; throws an error naming the channel when it is not configured. */
  channel(name: string): Channel
  has(name: string): boolean
  /**
   * The channel `name`, opened on first use from `url` with the transport's default options.
   * Log filters use it for channels chosen per record (`path`).
   */
  open(name: string, url: string): Channel
  names(): string[]
  stats(): Record<string, ChannelStats>
  close(timeoutMs?: number): Promise<Record<string, ChannelStats>>
}
