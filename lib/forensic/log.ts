import type { LogFramework } from '../log/framework.js'
import type { LogStream } from '../log/stream.js'
import type { ForensicRecord } from '../records/forensic-record.js'
import type { WafStreams } from '../records/streams.js'
import type { Channel, Transport } from '../transport/types.js'

export interface ForensicStats {
  /** "+" lines written, "-" lines written. */
  plus: number
  minus: number
  /** Lines a channel refused (queue full past `dropLimit`, channel closed). */
  failures: number
  /** Requests answered 503 because their "+" line could not be written (`onWriteFailure: 'reject'`). */
  rejected: number
}

/** When a line's write starts: with the channel's batching, at once, or when the event-loop turn ends. */
export type Flush = 0 | 1 | 2
export const FLUSH_BATCH = 0
export const FLUSH_NOW = 1
export const FLUSH_TURN = 2

/** What every registration in one app shares: one stream, one default channel, one set of counters. */
export class ForensicLog {
  readonly counts: ForensicStats = { plus: 0, minus: 0, failures: 0, rejected: 0 }
  private readonly stream: LogStream<ForensicRecord>
  private readonly sink: Channel
  /** Sum over the stream's filters of lines their channels refused, when last looked at. */
  private refusedSeen = 0

  constructor (log: LogFramework<WafStreams>, transport: Transport, readonly channel: string) {
    this.stream = log.stream('forensic')
    this.sink = transport.channel(channel)
  }

  private flushSoon (): void {
    if (this.sink.flushSoon !== undefined) this.sink.flushSoon()
    else this.sink.flush()
  }

  /**
   * Writes one line through the stream's filters; false when it failed: the stream is on, and a
   * channel refused the line while none took it. A stream turned off, or a record every filter's
   * policy declined, is not a failure.
   */
  write (id: string, phase: '+' | '-', line: string, flush: Flush): boolean {
    const s = this.stream
    if (!s.enabled) return true
    const rec: ForensicRecord = { type: 'forensic', id, phase, line }
    if (s.write(rec)) {
      if (phase === '+') this.counts.plus++
      else this.counts.minus++
      if (flush === FLUSH_NOW) this.sink.flush()
      else if (flush === FLUSH_TURN) this.flushSoon()
      return true
    }
    // The rare path: find out whether a channel refused the line, or the filters declined it.
    let refused = 0
    for (const f of Object.values(s.filterStats())) refused += f.lines - f.accepted
    const failed = refused > this.refusedSeen
    this.refusedSeen = refused
    if (failed) this.counts.failures++
    return !failed
  }
}
