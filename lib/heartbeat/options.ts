import net from 'node:net'
import { DEFAULT_GRAPHITE_PREFIX, graphitePrefixProblem } from './graphite.js'
import { resolveNodeName } from '../node-name.js'

export type HeartbeatFormat = 'json' | 'graphite'

/** The heartbeat's own options (the plugin adds `include` / `exclude` / `routes`). */
export interface HeartbeatOptions {
  /** The channel reports go to. Default `'heart'`. */
  channel?: string
  /** Milliseconds between reports. Default 10000. */
  interval?: number
  /** `e`: default the package version. */
  edition?: string
  /** `ip`: default the first non-internal IPv4 address. */
  ip?: string
  /** `wid`: default the `node:cluster` worker id, or 0. */
  workerId?: number
  /** `node`: the machine's name. Default the host name (`os.hostname()`). */
  node?: string
  /** The longest JSON line of one report part. Default the channel's `maxDatagram` for UDP, else 65000. */
  maxPacketBytes?: number
  /** `'json'` (default) or `'graphite'` (carbon plaintext lines). */
  format?: HeartbeatFormat
  /** Distinct domains counted per interval before new ones go to `_other`. Default 10000. */
  maxDomains?: number
  /**
   * The start of every graphite path, a template with `{node}` and `{wid}`. Default
   * `'waf.{node}.{wid}'`: every machine and worker writes its own series.
   */
  graphitePrefix?: string
}

export interface ResolvedHeartbeatOptions {
  channel: string
  intervalMs: number
  edition: string | undefined
  ip: string | undefined
  workerId: number | undefined
  node: string
  maxPacketBytes: number | undefined
  format: HeartbeatFormat
  maxDomains: number
  graphitePrefix: string
}

export const HEARTBEAT_DEFAULTS = Object.freeze({
  channel: 'heart',
  intervalMs: 10000,
  maxPacketBytes: 65000,
  maxDomains: 10000,
  graphitePrefix: DEFAULT_GRAPHITE_PREFIX
})

/** Below this a part could not hold the base fields and one domain of 253 bytes. */
export const MIN_PACKET_BYTES = 512
const MAX_TIMER_MS = 2 ** 31 - 1
const PRINTABLE = /^[\x21-\x7e]{1,64}$/

/** Validates the options; every error names the option, prefixed with `owner`. */
export function resolveHeartbeatOptions (owner: string, opts: HeartbeatOptions): ResolvedHeartbeatOptions {
  const fail = (option: string, must: string): never => {
    throw new TypeError(`${owner}: option "${option}" must be ${must}`)
  }
  const channel = opts.channel === undefined ? HEARTBEAT_DEFAULTS.channel : opts.channel
  if (typeof channel !== 'string' || channel.length === 0) fail('channel', 'a non-empty channel name')
  const intervalMs = opts.interval === undefined ? HEARTBEAT_DEFAULTS.intervalMs : opts.interval
  if (!Number.isInteger(intervalMs) || intervalMs < 10 || intervalMs > MAX_TIMER_MS) {
    fail('interval', `a whole number of milliseconds from 10 to ${MAX_TIMER_MS}`)
  }
  if (opts.edition !== undefined && (typeof opts.edition !== 'string' || !PRINTABLE.test(opts.edition))) {
    fail('edition', '1 to 64 printable ASCII characters without spaces')
  }
  if (opts.ip !== undefined && (typeof opts.ip !== 'string' || net.isIP(opts.ip) === 0)) fail('ip', 'an IPv4 or IPv6 address')
  if (opts.workerId !== undefined && (!Number.isSafeInteger(opts.workerId) || opts.workerId < 0)) fail('workerId', 'a whole number >= 0')
  if (opts.maxPacketBytes !== undefined &&
    (!Number.isSafeInteger(opts.maxPacketBytes) || opts.maxPacketBytes < MIN_PACKET_BYTES || opts.maxPacketBytes > 64 * 1024 * 1024)) {
    fail('maxPacketBytes', `a whole number of bytes from ${MIN_PACKET_BYTES} to 67108864`)
  }
  const format = opts.format === undefined ? 'json' : opts.format
  if (format !== 'json' && format !== 'graphite') fail('format', '"json" or "graphite"')
  const maxDomains = opts.maxDomains === undefined ? HEARTBEAT_DEFAULTS.maxDomains : opts.maxDomains
  if (!Number.isSafeInteger(maxDomains) || maxDomains < 1 || maxDomains > 1_000_000) fail('maxDomains', 'a whole number from 1 to 1000000')
  const graphitePrefix = opts.graphitePrefix === undefined ? HEARTBEAT_DEFAULTS.graphitePrefix : opts.graphitePrefix
  if (typeof graphitePrefix !== 'string') fail('graphitePrefix', 'a string such as "waf.{node}.{wid}"')
  const problem = graphitePrefixProblem(graphitePrefix)
  if (problem !== undefined) throw new TypeError(`${owner}: option "graphitePrefix" ${problem}, got ${JSON.stringify(graphitePrefix)}`)
  const node = resolveNodeName(owner, opts.node)
  return {
    channel,
    intervalMs,
    edition: opts.edition,
    ip: opts.ip,
    workerId: opts.workerId,
    node,
    maxPacketBytes: opts.maxPacketBytes,
    format,
    maxDomains,
    graphitePrefix
  }
}
