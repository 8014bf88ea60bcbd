import type { CounterValues } from '../heartbeat/counters.js'
import type { ChannelStats } from '../transport/types.js'
import { family } from './families.js'
import type { MetricFamily, MetricSample } from './families.js'

/**
 * Families built at scrape time from counters the suite keeps anyway: the heartbeat's cumulative
 * counters and the transport's channel stats. Nothing here runs per request.
 */

/**
 * Prometheus names and help for the heartbeat's wire names. A counter added to the heartbeat
 * without an entry here still appears, as `waf_heartbeat_<wire name>_total`.
 */
const HEARTBEAT_METRICS: Readonly<Record<string, readonly [string, string]>> = {
  ub: ['received_bytes', 'Bytes received from clients (request line, headers, body)'],
  db: ['sent_bytes', 'Bytes sent to clients, headers included'],
  ac: ['requests', 'Requests'],
  '4x': ['responses_4xx', 'Responses with a 4xx status'],
  '5x': ['responses_5xx', 'Responses with a 5xx status'],
  u4: ['upstream_responses_4xx', 'Upstream responses with a 4xx status'],
  u5: ['upstream_responses_5xx', 'Upstream responses with a 5xx status'],
  at: ['attacked_requests', 'Requests with at least one attack'],
  ao: ['response_attacked_requests', 'Requests with at least one attack found in the response (outbound)'],
  b: ['bot_requests', 'Requests flagged bot'],
  cc: ['cc_requests', 'Requests flagged CC (over the rate limit)'],
  acu: ['forwarded_requests', 'Requests forwarded upstream'],
  rl_err: ['rate_limit_store_errors', 'Requests the rate-limit store could not count (they passed)']
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
  return [...byCounter].map(([name, values]) => {
    const [metric, help] = HEARTBEAT_METRICS[name] ?? [name.replace(/[^a-zA-Z0-9_]/g, '_'), `Heartbeat counter "${name}"`]
    return family(`waf_heartbeat_${metric}_total`, `${help}, by domain (heartbeat "${name}", summed over every interval).`, 'counter', values)
  })
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
