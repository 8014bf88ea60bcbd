import type { Test } from 'tap'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { MemoAccount } from '../../../lib/rules/generations.js'

setFlagsFromString('--expose-gc')
/** A full garbage collection, for tests that compare a memo's count of bytes with the heap. */
export const gc = runInNewContext('gc') as () => void

/** Counts what a memo of the result cache holds, and the most it held. */
export class Counter implements MemoAccount {
  held = 0
  most = 0
  hold (bytes: number): void {
    this.held += bytes
    this.most = Math.max(this.most, this.held)
  }

  release (bytes: number): void {
    this.held -= bytes
  }
}

/**
 * Runs `fill` (which gives a memo slices of large bodies) and checks the heap it leaves: less
 * than `most` bytes (so the bodies are not kept), and the memo's count within 0.8x to `over`x
 * of what the heap grew. `what` describes the memo's content for the comment.
 */
export function heldAgainstHeap (t: Test, account: Counter, fill: () => void, what: () => string, most: number, over: number): void {
  gc()
  const before = process.memoryUsage().heapUsed
  fill()
  gc()
  const grown = process.memoryUsage().heapUsed - before
  t.comment(`heap grew ${grown} bytes; the memo counts ${account.held} for ${what()}`)
  t.ok(grown < most, `the heap grew less than ${(most / 2 ** 20).toFixed(0)} MB: the bodies are not kept`)
  t.ok(account.held >= 0.8 * grown, 'not under-counted')
  t.ok(account.held <= over * grown, 'not wildly over-counted')
}
