import { HEARTBEAT_DEFAULTS, MIN_PACKET_BYTES } from './options.js'
import type { HeartbeatFormat } from './options.js'

/**
 * The longest JSON line of one report part: the option, else the channel's line limit (a UDP
 * datagram), else 65000. A JSON report on a channel with a line limit must fit it, or its parts
 * would be dropped; graphite lines are short and sent one a line, so they are not held to it.
 * `lineLimit`: the channel's `maxLineBytes` (undefined or Infinity when it has none).
 */
export function packetLimit (owner: string, channel: string, format: HeartbeatFormat, configured: number | undefined, lineLimit: number | undefined): number {
  const channelLimit = lineLimit !== undefined && Number.isFinite(lineLimit) ? lineLimit : undefined
  const maxPacketBytes = configured ?? channelLimit ?? HEARTBEAT_DEFAULTS.maxPacketBytes
  if (format === 'json' && channelLimit !== undefined) {
    if (maxPacketBytes > channelLimit) {
      throw new TypeError(`${owner}: option "maxPacketBytes" (${maxPacketBytes}) is larger than channel ${JSON.stringify(channel)} can send as one datagram (${channelLimit} bytes); parts that size would be dropped`)
    }
    if (maxPacketBytes < MIN_PACKET_BYTES) {
      throw new TypeError(`${owner}: option "maxPacketBytes" defaults to channel ${JSON.stringify(channel)}'s line limit of ${channelLimit} bytes, below the ${MIN_PACKET_BYTES} a report part needs; raise the channel's maxDatagram`)
    }
  }
  return maxPacketBytes
}
