import t from 'tap'
import { allocatedBytesPer } from '../../bench/alloc.js'

t.test('counts the heap a call allocates, across garbage collections', async t => {
  let keep: number[] = []
  // 1,000 doubles in a fresh array: at least 8 KB each call; 20,000 calls run many scavenges.
  const big = allocatedBytesPer(() => { keep = new Array<number>(1000).fill(0.5) }, 20000)
  t.ok(big >= 8000 && big < 9000, `about 8 KB per call (${big.toFixed(0)} B)`)
  const none = allocatedBytesPer(() => { keep[0] = keep.length }, 20000)
  t.ok(none < 64, `next to nothing for a call that allocates nothing (${none.toFixed(1)} B)`)
})
