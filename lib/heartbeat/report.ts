import type { ChannelStats } from '../transport/types.js'
import { jsonLine } from '../log/writers/json.js'
import { counterValues } from './counters.js'
import type { CounterValues, DomainCounters, IntervalCounts } from './counters.js'
import { INVALID_DOMAIN, OTHER_DOMAIN } from './domain-key.js'

/** Who sends the report: the same on every report of one worker. */
export interface HeartbeatIdentity {
  /** Edition: the package version. */
  e: string
  /** The worker's address (the first external IPv4 unless configured). */
  ip: string
  /** The machine's name (the host name unless configured). */
  node: string
  /** The cluster worker id, 0 outside a cluster. */
  wid: number
}

/** One channel's delivery counters, as the report carries them. */
export interface TransportSummary {
  sent: number
  /** Every dropped line, whatever the reason. */
  dropped: number
  reconnects: number
  queued: number
}

/** One part of a report: one JSON line on the wire. */
export interface HeartbeatRecord {
  type: 'heartbeat'
  e: string
  ip: string
  node: string
  /** Epoch seconds. */
  t: number
  wid: number
  /** Seconds this report covers: since the previous report, or since start. */
  interval: number
  /** Domains in the whole report, all parts together (`_other` / `_invalid` included). */
  domain_num: number
  /** Requests counted under `_other` because the domain table was full. */
  overflow: number
  /** 1-based. */
  part: number
  parts: number
  domains: Record<string, CounterValues>
  /** Part 1 only. */
  transport?: Record<string, TransportSummary>
  /** Part 1 only, when the transport stats alone would not fit: how many channels were left out. */
  transport_omitted?: number
}

export interface ReportInput {
  identity: HeartbeatIdentity
  /** Epoch seconds. */
  t: number
  /** Seconds covered. */
  interval: number
  counts: IntervalCounts
  transport: Record<string, TransportSummary>
  /** No part's JSON line (without newline) is longer than this many bytes. */
  maxBytes: number
}

export function summarizeTransport (stats: Record<string, ChannelStats>): Record<string, TransportSummary> {
  const out: Record<string, TransportSummary> = {}
  for (const name of Object.keys(stats).sort()) {
    const s = stats[name]
    const d = s.dropped
    out[name] = { sent: s.sent, dropped: d.overflow + d.oversize + d.closed, reconnects: s.reconnects, queued: s.queued }
  }
  return out
}

export function byteSize (value: unknown): number {
  return Buffer.byteLength(jsonLine(value))
}

interface Entry {
  key: string
  values: CounterValues
  /** Bytes of `"key":{…}` inside the `domains` object. */
  bytes: number
}

/**
 * The report of one interval as records, split into parts so that no part's JSON line exceeds
 * `maxBytes`: domains are packed greedily in key order (the reserved keys last), part 1 also
 * carries the transport stats. Every part carries the base fields; each domain appears in
 * exactly one part. A report without traffic is one part with no domains: the liveness signal.
 *
 * Sizes are computed from the same serializer the json writer uses, so they are exact: an object
 * with k domain entries serializes to its size with `domains: {}` plus the entries' sizes plus
 * k-1 commas. A single domain entry larger than `maxBytes` minus the base fields cannot happen
 * with names capped at 253 bytes and `maxBytes` >= 512; should it, it goes out alone.
 */
export function buildReport (input: ReportInput): HeartbeatRecord[] {
  const entries = orderedEntries(input.counts)
  const transport = fitTransport(input, entries.length)
  let digits = 1
  for (;;) {
    const widest = 10 ** digits - 1
    const firstEmpty = byteSize(record(input, entries.length, widest, widest, {}, transport))
    const restEmpty = byteSize(record(input, entries.length, widest, widest, {}, undefined))
    const groups = pack(entries, input.maxBytes, firstEmpty, restEmpty)
    if (String(groups.length).length <= digits) {
      return groups.map((g, i) => {
        const domains: Record<string, CounterValues> = {}
        for (const e of g) domains[e.key] = e.values
        return record(input, entries.length, i + 1, groups.length, domains, i === 0 ? transport : undefined)
      })
    }
    digits = String(groups.length).length
  }
}

function orderedEntries (counts: IntervalCounts): Entry[] {
  const keys = [...counts.domains.keys()].filter(k => k !== OTHER_DOMAIN && k !== INVALID_DOMAIN).sort()
  for (const k of [OTHER_DOMAIN, INVALID_DOMAIN]) if (counts.domains.has(k)) keys.push(k)
  return keys.map(key => {
    const values = counterValues(counts.domains.get(key) as DomainCounters)
    return { key, values, bytes: byteSize(key) + 1 + byteSize(values) }
  })
}

function pack (entries: Entry[], maxBytes: number, firstEmpty: number, restEmpty: number): Entry[][] {
  const groups: Entry[][] = []
  let group: Entry[] = []
  let size = firstEmpty
  for (const e of entries) {
    const add = (group.length === 0 ? 0 : 1) + e.bytes
    // Part 1 may stay without domains when the transport stats fill it; a later part always
    // takes its first entry, so no entry is lost (and none can be too big; see above).
    if (size + add > maxBytes && (group.length > 0 || groups.length === 0)) {
      groups.push(group)
      group = []
      size = restEmpty + e.bytes
    } else {
      size += add
    }
    group.push(e)
  }
  groups.push(group)
  return groups
}

interface FittedTransport {
  stats: Record<string, TransportSummary>
  omitted: number
}

/** The transport stats, cut (last channels first) until part 1 fits with no domain in it. */
function fitTransport (input: ReportInput, domainNum: number): FittedTransport {
  const names = Object.keys(input.transport)
  let keep = names.length
  for (;;) {
    const stats: Record<string, TransportSummary> = {}
    for (let i = 0; i < keep; i++) stats[names[i]] = input.transport[names[i]]
    const fitted = { stats, omitted: names.length - keep }
    // The widest part numbers a report can have keep the check safe whatever the part count.
    if (keep === 0 || byteSize(record(input, domainNum, 1e6, 1e6, {}, fitted)) <= input.maxBytes) return fitted
    keep--
  }
}

function record (input: ReportInput, domainNum: number, part: number, parts: number,
  domains: Record<string, CounterValues>, transport: FittedTransport | undefined): HeartbeatRecord {
  const rec: HeartbeatRecord = {
    type: 'heartbeat',
    e: input.identity.e,
    ip: input.identity.ip,
    node: input.identity.node,
    t: input.t,
    wid: input.identity.wid,
    interval: input.interval,
    domain_num: domainNum,
    overflow: input.counts.overflow,
    part,
    parts,
    domains
  }
  if (transport !== undefined) {
    rec.transport = transport.stats
    if (transport.omitted > 0) rec.transport_omitted = transport.omitted
  }
  return rec
}
