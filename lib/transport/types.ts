import type { LookupFunction as NetLookupFunction } from 'node:net'

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
  /**
   * UTF-8 bytes of the queued lines, newlines and lines in flight included: never above the
   * channel's `dropLimit`. Always set by this transport (optional for other implementations).
   */
  queuedBytes?: number
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
   * The longest line, in UTF-8 bytes without the newline, that the channel sends as one unit:
   * `maxDatagram - 1` for UDP, `Infinity` for streams and files. Heartbeat packets are sized by it.
   */
  readonly maxLineBytes?: number
  /**
   * Queues one record. `line` carries no trailing newline: the channel frames it. Newlines
   * inside `line` are written as they are (writers escape them in values).
   * Never throws, never blocks; returns `false` when the line was dropped (and counted).
   */
  log(line: string): boolean
  /** Starts a write of whatever is queued, without waiting for it. */
  flush(): void
  /**
   * Writes whatever is queued at the end of the current event-loop turn (`setImmediate`), once
   * per turn however often it is called, with the lines the turn adds meanwhile: the lines of
   * many requests in one write. Channels without it take `flush()`.
   */
  flushSoon?(): void
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
  /**
   * Reopens every `file://` channel's file, for logrotate (`postrotate kill -USR1`): the lines
   * queued go to the file open now, later ones to the path opened anew. Resolves the paths.
   */
  reopen(): Promise<string[]>
  close(timeoutMs?: number): Promise<Record<string, ChannelStats>>
}

/** Reconnect backoff: `initialDelay * factor^n`, capped at `maxDelay`, spread by ± `jitter`. */
export interface RetryOptions {
  /** ms before the first retry (100). */
  initialDelay?: number
  /** ms; the delay never grows past it (10000). */
  maxDelay?: number
  /** Growth per failed try, >= 1 (2). */
  factor?: number
  /** Fraction in [0, 1] by which each delay is spread at random (0.2). */
  jitter?: number
}

/** TLS for a `tls://` channel. The server certificate is verified unless `rejectUnauthorized` is `false`. */
export interface TlsOptions {
  /** The SNI name and the name the certificate must match, like Kong's `tls_sni`. */
  servername?: string
  /** Trusted CA certificates (PEM); the system store when absent. */
  ca?: string | Buffer | Array<string | Buffer>
  /** Client certificate and key (PEM), for collectors that authenticate clients. */
  cert?: string | Buffer | Array<string | Buffer>
  key?: string | Buffer | Array<string | Buffer>
  /** `false` turns verification off. Default `true`. */
  rejectUnauthorized?: boolean
}

/** File rotation, like Zeek's `interv`: whichever comes first. */
export interface RotateOptions {
  /** ms; rotation happens at whole multiples of it (epoch-aligned: 3600000 rotates on the hour). */
  interval?: number
  /** bytes; a file is rotated before a write would take it past this size. */
  size?: number
}

/** DNS lookup in the shape of `net.connect`'s `lookup` option (a custom resolver, like `dns.lookup`). */
export type LookupFunction = NetLookupFunction

/** Every option a channel takes. See the channel options table in docs/transport.md. */
export interface ChannelOptions {
  /** `tcp://host:port`, `tls://host:port`, `udp://host:port`, `unix:///path`, `file:///path` or `stdout:`. */
  url: string
  /** Bytes; a batch write starts once this many are queued (4096). For files: nginx `buffer=`. */
  flushLimit?: number
  /** ms; the periodic flush of whatever is queued (1000). For files: nginx `flush=`. */
  flushInterval?: number
  /** Bytes queued (in flight included) past which a new line is dropped as `overflow` (8 MiB). */
  dropLimit?: number
  /** ms; connect and write timeout (10000). */
  timeout?: number
  /** ms; a connection idle this long is closed, and opened again for the next line (60000). */
  keepalive?: number
  /**
   * `tcp://`, `tls://`: send each write at once (`TCP_NODELAY`) instead of letting the kernel hold
   * small writes while one is unacknowledged and send them together (Nagle's algorithm). `false`.
   */
  noDelay?: boolean
  retry?: RetryOptions
  /** `tls://` only: `true` or the TLS options. */
  tls?: boolean | TlsOptions
  /** `udp://` only: the largest datagram, newline included (1472). A longer line is dropped as `oversize`. */
  maxDatagram?: number
  /** `file://` only: write gzip members of this level (1–9), like nginx `gzip=`. */
  gzip?: number
  /** `file://` only: rotation. */
  rotate?: RotateOptions
  /** `tcp://`, `tls://`, `udp://`: a custom DNS resolver; it runs again on every reconnect. */
  lookup?: LookupFunction
}

/** The channel defaults every channel (and every channel opened on demand) starts from. */
export type ChannelDefaults = Omit<ChannelOptions, 'url'>

/** Where transport warnings go (Fastify's logger fits). */
export interface TransportLogger {
  warn(obj: object, msg: string): void
}

export interface TransportOptions {
  channels: Record<string, string | ChannelOptions>
  /** Options for every channel, under each channel's own. */
  defaults?: ChannelDefaults
  /** At most one warning per channel per this many ms (30000). */
  warnInterval?: number
  /** Where warnings go when `onWarning` is not given; with neither, `process.emitWarning`. */
  logger?: TransportLogger
  /** Receives every warning instead of `logger` (and instead of `process.emitWarning`). */
  onWarning?: (warning: TransportWarning) => void
}

/**
 * What went wrong on one channel since its previous warning: at most one per channel per
 * `warnInterval`. `code` is `WAFLOG_DROP` when lines were lost, `WAFLOG_CHANNEL_ERROR` when the
 * destination failed (a collector that cannot be reached, a file that cannot be written) but
 * every line is still queued.
 */
export interface TransportWarning {
  code: 'WAFLOG_DROP' | 'WAFLOG_CHANNEL_ERROR'
  /** One line naming the channel, its URL, the errors and the lines dropped. */
  message: string
  channel: string
  url: string
  errors: number
  dropped: DropCounts
  lastError: string | undefined
  stats: ChannelStats
}
