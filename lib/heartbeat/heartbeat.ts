import type { ChannelStats } from '../transport/types.js'
import { CounterTable, counterValues } from './counters.js'
import type { CounterValues } from './counters.js'
import { graphiteLines } from './graphite.js'
import { CounterTotals } from './totals.js'
import { METRIC_MAX_DOMAINS } from './domain-key.js'
import { buildReport, summarizeTransport } from './report.js'
import type { HeartbeatIdentity, HeartbeatRecord } from './report.js'
import type { HeartbeatFormat } from './options.js'

export interface HeartbeatEngineOptions {
  identity: HeartbeatIdentity
  intervalMs: number
  maxPacketBytes: number
  format: HeartbeatFormat
  maxDomains: number
  graphitePrefix: string
  /** Hands one record to the log stream; returns whether a channel took it. */
  write: (rec: HeartbeatReport) => boolean
  /** The transport's stats, for part 1 of each report. */
  transportStats: () => Record<string, ChannelStats>
  /** Where an error thrown while sending a timed report goes. */
  onError?: (err: unknown) => void
  /** The clock, in epoch ms. */
  now?: () => number
}

/** The live counters of the current interval. */
export interface HeartbeatSnapshot {
  /** Epoch ms when the interval began. */
  since: number
  /** Requests counted under `_other` because the table was full. */
  overflow: number
  domains: Record<string, CounterValues>
}

export interface HeartbeatReportResult {
  /** Epoch seconds of the report. */
  t: number
  /** Records handed to the stream: JSON parts, or graphite lines. */
  records: number
  /** Of those, the ones a channel took. */
  accepted: number
}

/** A graphite record: the raw writer sends `line` as it is. */
export interface GraphiteRecord {
  type: 'heartbeat'
  line: string
}

/**
 * A record of the `heartbeat` stream: a part of a JSON report, or (with `format: 'graphite'`) one
 * graphite line. `'line' in rec` tells them apart.
 */
export type HeartbeatReport = HeartbeatRecord | GraphiteRecord

/**
 * The heartbeat of one worker: the counter table, the timer, and the report that drains the
 * table into records. Framework-free: the plugin feeds `table` and wires `write`.
 */
export class Heartbeat {
  readonly table: CounterTable
  /** Every interval's counters summed, for metrics (fed once per report). */
  readonly totals: CounterTotals
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly now: () => number
  private readonly tick = (): void => {
    try {
      this.report()
    } catch (err) {
      this.opts.onError?.(err)
    }
  }

  constructor (private readonly opts: HeartbeatEngineOptions) {
    this.now = opts.now ?? Date.now
    this.table = new CounterTable(opts.maxDomains, this.now())
    this.totals = new CounterTotals(Math.min(opts.maxDomains, METRIC_MAX_DOMAINS))
  }

  /** The counters since start, per domain: every report's and the live interval's. */
  cumulative (): Map<string, CounterValues> {
    return this.totals.values(this.table.snapshot())
  }

  /** Starts the interval; it never keeps the process alive. Starting twice does nothing. */
  start (): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(this.tick, this.opts.intervalMs)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer === undefined) return
    clearInterval(this.timer)
    this.timer = undefined
  }

  get running (): boolean {
    return this.timer !== undefined
  }

  snapshot (): HeartbeatSnapshot {
    const s = this.table.snapshot()
    const domains: Record<string, CounterValues> = {}
    for (const [k, c] of s.domains) domains[k] = counterValues(c)
    return { since: s.since, overflow: s.overflow, domains }
  }

  /** Sends a report of the counters since the previous one, then starts a new interval. */
  report (): HeartbeatReportResult {
    const nowMs = this.now()
    const counts = this.table.drain(nowMs)
    this.totals.add(counts)
    const t = Math.floor(nowMs / 1000)
    const transport = summarizeTransport(this.opts.transportStats())
    const { identity } = this.opts
    let records = 0
    let accepted = 0
    if (this.opts.format === 'graphite') {
      for (const line of graphiteLines({ prefix: this.opts.graphitePrefix, identity, t, counts, transport })) {
        const rec: GraphiteRecord = { type: 'heartbeat', line }
        records++
        if (this.opts.write(rec)) accepted++
      }
    } else {
      const interval = Math.max(0, Math.round(nowMs - counts.since)) / 1000
      for (const rec of buildReport({ identity, t, interval, counts, transport, maxBytes: this.opts.maxPacketBytes })) {
        records++
        if (this.opts.write(rec)) accepted++
      }
    }
    return { t, records, accepted }
  }
}
