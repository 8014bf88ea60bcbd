import { lineId } from './parse.js'

/**
 * The incomplete-request check of httpd's `support/check_forensic`: every request with a "+" line
 * and no "-" line. It streams: only the "+" lines of requests still open are held, so memory
 * follows the number of requests in flight, not the size of the log.
 *
 * It reads ids as check_forensic does (up to the first `|`), treats a "-" that comes before its
 * "+" (a log that starts mid-request, after rotation) as completing it, and reports requests
 * sorted by id in byte order, which is check_forensic's order under `LC_ALL=C`.
 */

export interface CheckSummary {
  /** Lines read, of every kind. */
  lines: number
  /** "+" lines. */
  requests: number
  /** Requests whose "-" line was found. */
  completed: number
  /** Requests without a "-" line. */
  incomplete: number
  incompleteIds: string[]
  /** "-" lines with no "+" line before them (the log began mid-request). */
  unmatchedEnds: number
  /** Lines that are neither "+" nor "-" lines. */
  other: number
  /** Lines longer than the line limit, skipped. */
  overlong: number
}

export interface IncompleteRequest {
  id: string
  /** Its "+" line(s), without newline: more than one when a log repeats an id. */
  lines: string[]
}

export class IncompleteRequestChecker {
  private readonly open = new Map<string, string | string[]>()
  private readonly endedEarly = new Set<string>()
  private readonly counts = { lines: 0, requests: 0, completed: 0, other: 0, overlong: 0 }

  /** Reads one line (without its newline). */
  add (line: string): void {
    this.counts.lines++
    const head = lineId(line)
    if (head === undefined) {
      this.counts.other++
      return
    }
    const { id } = head
    if (head.phase === '+') {
      this.counts.requests++
      if (this.endedEarly.has(id)) {
        this.counts.completed++
        return
      }
      const prev = this.open.get(id)
      if (prev === undefined) this.open.set(id, line)
      else if (typeof prev === 'string') this.open.set(id, [prev, line])
      else prev.push(line)
      return
    }
    const prev = this.open.get(id)
    if (prev !== undefined) {
      this.counts.completed += typeof prev === 'string' ? 1 : prev.length
      this.open.delete(id)
    } else {
      this.endedEarly.add(id)
    }
  }

  /** Counts a line that was too long to read. */
  skipOverlong (): void {
    this.counts.lines++
    this.counts.overlong++
  }

  /** How many requests are open right now. */
  get openCount (): number {
    return this.open.size
  }

  /** The open requests, sorted by id in byte order. */
  incomplete (): IncompleteRequest[] {
    const ids = [...this.open.keys()].sort(byteOrder)
    return ids.map(id => {
      const v = this.open.get(id) as string | string[]
      return { id, lines: typeof v === 'string' ? [v] : v }
    })
  }

  summary (): CheckSummary {
    const incomplete = this.incomplete()
    return {
      lines: this.counts.lines,
      requests: this.counts.requests,
      completed: this.counts.completed,
      incomplete: incomplete.reduce((n, r) => n + r.lines.length, 0),
      incompleteIds: incomplete.map(r => r.id),
      unmatchedEnds: this.endedEarly.size,
      other: this.counts.other,
      overlong: this.counts.overlong
    }
  }
}

/** Byte order for latin1 strings: UTF-16 code unit order is byte order when every unit is < 256. */
function byteOrder (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024

/**
 * Splits a byte stream into lines on LF. Lines come out as latin1 strings, so every byte is kept
 * and can be written back unchanged. A line longer than `maxLineBytes` is dropped (reported
 * through `onOverlong`) instead of growing memory without bound.
 */
export class LineSplitter {
  private pending: Buffer[] = []
  private pendingBytes = 0
  private skipping = false

  constructor (
    private readonly onLine: (line: string) => void,
    private readonly onOverlong: () => void = () => {},
    private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES
  ) {}

  push (chunk: Buffer): void {
    let start = 0
    let nl = chunk.indexOf(10, start)
    while (nl !== -1) {
      this.emit(chunk, start, nl)
      start = nl + 1
      nl = chunk.indexOf(10, start)
    }
    if (start < chunk.length) this.keep(chunk.subarray(start))
  }

  /** Emits a last line that had no newline. */
  end (): void {
    if (this.skipping) {
      this.skipping = false
      this.onOverlong()
    } else if (this.pendingBytes > 0) {
      const line = Buffer.concat(this.pending, this.pendingBytes).toString('latin1')
      this.onLine(line)
    }
    this.pending = []
    this.pendingBytes = 0
  }

  private emit (chunk: Buffer, start: number, end: number): void {
    if (this.skipping) {
      this.skipping = false
      this.onOverlong()
      return
    }
    if (this.pendingBytes === 0) {
      if (end - start > this.maxLineBytes) this.onOverlong()
      else this.onLine(chunk.toString('latin1', start, end))
      return
    }
    const total = this.pendingBytes + (end - start)
    if (total > this.maxLineBytes) {
      this.onOverlong()
    } else {
      this.pending.push(chunk.subarray(start, end))
      this.onLine(Buffer.concat(this.pending, total).toString('latin1'))
    }
    this.pending = []
    this.pendingBytes = 0
  }

  private keep (rest: Buffer): void {
    if (this.skipping) return
    if (this.pendingBytes + rest.length > this.maxLineBytes) {
      this.pending = []
      this.pendingBytes = 0
      this.skipping = true
      return
    }
    // A copy: holding a slice would pin the whole read buffer.
    this.pending.push(Buffer.from(rest))
    this.pendingBytes += rest.length
  }
}
