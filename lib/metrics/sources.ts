import type { CounterValues } from '../heartbeat/counters.js'
import type { ChannelStats } from '../transport/types.js'
import { family } from './families.js'
import type { MetricFamily, MetricSample } from './families.js'

/**
 * Families built at scrape time from counters the suite keeps anyway: the heartbeat's cumulative
 * counters and the transport's channel stats. Nothing here runs per request.
 */

/** What the heartbeat's wire names mean; a counter added to the heartbeat without one still appears. */
const HEARTBEAT_HELP: Readonly<Record<string, string>> = {
  ub: 'Bytes received from clients (request line, headers, body)',
  db: 'Bytes sent to clients, headers included',
  ac: 'Requests',
  '4x': 'Responses with a 4xx status',
  '5x': 'Responses with a 5xx status',
  u4: 'Upstream responses with a 4xx status',
  u5: 'Upstream responses with a 5xx status',
  at: 'Requests with at least one attack',
  ao: 'Requests with at least one attack found in the response (outbound)',
  b: 'Requests flagged bot',
  cc: 'Requests flagged CC (over the rate limit)',
  acu: 'Requests forwarded upstream'
}

/** A Prometheus metric name part from a wire name (`4x` stays `4x`: the family name starts with `waf_`). */
function metricPart (name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_')
}

/** One counter family per heartbeat counter, labelled by domain: `waf_heartbeat_<counter>_total`. */
export function heartbeatFamilies (totals: Map<string, CounterValues>): MetricFamily[] {
  const byCounter = new Map<string, MetricSample[]>()
  for (const [domain, values] of totals) {
    for (const [name, value] of Object.entries(values) as Array<[string, number]>) {
      let list = byCounter.get(name)
      if (list === undefined) byCounter.set(name, list = [])
      list.push({ labels: { domain }, value })
    }
  }
  return [...byCounter].map(([name, values]) => family(
    `waf_heartbeat_${metricPart(name)}_total`,
    `${HEARTBEAT_HELP[name] ?? `Heartbeat counter "${name}"`}, by domain (heartbeat "${name}", summed over every interval).`,
    'counter', values))
}

/** Per-channel transport counters and gauges, labelled by channel. */
export function transportFamilies (stats: Record<string, ChannelStats>): MetricFamily[] {
  const per = (get: (s: ChannelStats) => number): MetricSample[] => Object.entries(stats).map(([channel, s]) => ({ labels: { channel }, value: get(s) }))
  const dropped: MetricSample[] = []
  for (const [channel, s] of Object.entries(stats)) {
    for (const [reason, n] of Object.entries(s.dropped)) dropped.push({ labels: { channel, reason }, value: n })
  }
  return [
    family('waf_transport_lines_written_total', 'Lines handed to the channel.', 'counter', per(s => s.written)),
    family('waf_transport_lines_sent_total', 'Lines the destination accepted.', 'counter', per(s => s.sent)),
    family('waf_transport_lines_dropped_total', 'Lines dropped, by reason (overflow: queue full; oversize: over the datagram size; closed: left at close).', 'counter', dropped),
    family('waf_transport_bytes_sent_total', 'Bytes the destination accepted.', 'counter', per(s => s.bytesSent)),
    family('waf_transport_reconnects_total', 'Connections opened again after a failure.', 'counter', per(s => s.reconnects)),
    family('waf_transport_errors_total', 'Connection and write errors.', 'counter', per(s => s.errors)),
    family('waf_transport_lines_queued', 'Lines waiting to be sent.', 'gauge', per(s => s.queued)),
    family('waf_transport_connected', 'Workers whose channel is connected (file open) now.', 'gauge', per(s => s.connected ? 1 : 0))
  ]
}
