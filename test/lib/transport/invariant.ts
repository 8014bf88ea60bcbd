import type { ChannelStats } from '../../../lib/transport/types.js'

/** `written = sent + queued + dropped.*`, the transport's accounting invariant. */
export function invariantHolds (s: ChannelStats): boolean {
  return s.written === s.sent + s.queued + s.dropped.overflow + s.dropped.oversize + s.dropped.closed
}

export function lineOf (i: number): string {
  return JSON.stringify({ type: 'access', seq: i, uri: `/p?q=${i}` })
}

export function seqs (lines: string[]): number[] {
  return lines.map(l => (JSON.parse(l) as { seq: number }).seq)
}

/** Logs `n` lines in slices, letting the loop run between slices (as requests would). */
export async function logPaced (log: (line: string) => boolean, from: number, n: number, slice = 500): Promise<number> {
  let accepted = 0
  for (let i = from; i < from + n; i++) {
    if (log(lineOf(i))) accepted++
    if ((i - from) % slice === slice - 1) await new Promise(resolve => setImmediate(resolve))
  }
  return accepted
}
