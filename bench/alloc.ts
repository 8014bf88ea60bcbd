import { GCProfiler, getHeapStatistics } from 'node:v8'

/**
 * Bytes allocated on the V8 heap per call of `fn`, over `n` calls: the growth of the used heap
 * plus what every garbage collection during the run freed (v8.GCProfiler's used heap before and
 * after each one), so a collection in the middle of the run does not hide what it reclaimed.
 * Objects, strings and arrays alike; the backing stores of Buffers (external memory) are not
 * counted. Deterministic code gives the same figure on a busy machine: the count is of bytes, not
 * of time.
 */
export function allocatedBytesPer (fn: () => void, n: number): number {
  const profiler = new GCProfiler()
  profiler.start()
  const before = getHeapStatistics().used_heap_size
  for (let i = 0; i < n; i++) fn()
  const after = getHeapStatistics().used_heap_size
  const { statistics } = profiler.stop()
  let freed = 0
  for (const gc of statistics) freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
  return (after - before + freed) / n
}

/**
 * The same count over any stretch of a running process (a server between two requests of its
 * parent, bench/child.ts): `allocated()` gives the bytes allocated since the previous call.
 */
export class AllocationMeter {
  private profiler = new GCProfiler()
  private used = getHeapStatistics().used_heap_size

  constructor () {
    this.profiler.start()
  }

  allocated (): number {
    const used = getHeapStatistics().used_heap_size
    const { statistics } = this.profiler.stop()
    this.profiler = new GCProfiler()
    this.profiler.start()
    let freed = 0
    for (const gc of statistics) freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
    const bytes = used - this.used + freed
    this.used = getHeapStatistics().used_heap_size
    return bytes
  }
}
