/**
 * Linear-time checks: the same function timed on 10 KB and 100 KB of the same shape, the ratio of
 * the two asserted under 50 (near 10 for a linear function, ~100 for a quadratic one). Built for a loaded machine:
 *  - CPU time of this process (process.cpuUsage), not wall time: time spent descheduled does not count;
 *  - each sample repeats the call until it lasts at least `minMs`, so timer grain is noise-free;
 *  - the best of `runs` samples per size, the sizes interleaved: load slows single samples, not all.
 */

/** What assertLinear needs of a tap test. */
export interface Asserter {
  ok: (value: boolean, message: string) => unknown
}

export interface LinearOptions {
  /** Size of the small input (default 10,000). */
  small?: number
  /** Size of the large input (default 100,000). */
  large?: number
  /** Samples per size; the best counts (default 5). */
  runs?: number
  /** Least CPU time of one sample, in ms (default 2). */
  minMs?: number
  /**
   * Largest accepted large/small time ratio (default 50, for a size ratio of 10). Not 25: a linear
   * native function measured 27-33 (base64Encode: the 100 KB value and its 133 KB result leave the
   * L2 cache and go to V8's large-object space), while a quadratic one gives ~100.
   */
  maxRatio?: number
}

export interface Linearity {
  /** Best CPU time per call on the small input, ms. */
  smallMs: number
  /** Best CPU time per call on the large input, ms. */
  largeMs: number
  ratio: number
}

function cpuMs (since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since)
  return (d.user + d.system) / 1000
}

/** CPU ms of `reps` calls of fn(input). */
function sample<T> (fn: (input: T) => unknown, input: T, reps: number): number {
  const t0 = process.cpuUsage()
  for (let k = 0; k < reps; k++) fn(input)
  return cpuMs(t0)
}

/** How many calls of fn(input) last at least minMs (the first calls also warm the function up). */
function calibrate<T> (fn: (input: T) => unknown, input: T, minMs: number): number {
  let reps = 1
  for (;;) {
    const ms = sample(fn, input, reps)
    if (ms >= minMs) return reps
    reps = ms <= 0 ? reps * 8 : Math.max(reps * 2, Math.ceil(reps * minMs / ms * 1.2))
  }
}

/** Times fn on makeInput(small) and makeInput(large): best CPU time per call of each, and their ratio. */
export function measureLinearity<T> (fn: (input: T) => unknown, makeInput: (size: number) => T, options: LinearOptions = {}): Linearity {
  const { small = 10_000, large = 100_000, runs = 5, minMs = 2 } = options
  const a = makeInput(small)
  const b = makeInput(large)
  fn(b) // warm-up on the large shape too (flattens cons strings, compiles the paths it takes)
  const repsA = calibrate(fn, a, minMs)
  const repsB = calibrate(fn, b, minMs)
  let smallMs = Infinity
  let largeMs = Infinity
  for (let i = 0; i < runs; i++) {
    smallMs = Math.min(smallMs, sample(fn, a, repsA) / repsA)
    largeMs = Math.min(largeMs, sample(fn, b, repsB) / repsB)
  }
  return { smallMs, largeMs, ratio: largeMs / Math.max(smallMs, 1e-6) }
}

/** Asserts that fn is linear on the shape makeInput(size): its 100 KB/10 KB time ratio under maxRatio. */
export function assertLinear<T> (t: Asserter, name: string, fn: (input: T) => unknown, makeInput: (size: number) => T, options: LinearOptions = {}): Linearity {
  const m = measureLinearity(fn, makeInput, options)
  const max = options.maxRatio ?? 50
  const { small = 10_000, large = 100_000 } = options
  t.ok(m.ratio < max, `${name}: ${small} in ${m.smallMs.toFixed(4)} ms, ${large} in ${m.largeMs.toFixed(4)} ms, ratio ${m.ratio.toFixed(1)} (< ${max})`)
  return m
}

/** `unit` repeated to exactly n characters. */
export function repeatTo (unit: string, n: number): string {
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n)
}

/** The adversarial string shapes of the transformation tests: escape openers, comment openers, path runs, a long run and a tail. */
export const ADVERSARIAL_SHAPES: ReadonlyArray<{ name: string, make: (n: number) => string }> = [
  ...['%', '&#', '\\', '/*', '../'].map(unit => ({ name: JSON.stringify(unit) + ' repeated', make: (n: number) => repeatTo(unit, n) })),
  { name: '"a" repeated, then "!"', make: (n: number) => 'a'.repeat(n - 1) + '!' }
]

/** assertLinear for a string function over every ADVERSARIAL_SHAPES shape. */
export function assertLinearOnShapes (t: Asserter, fn: (s: string) => unknown, options: LinearOptions = {}): void {
  for (const shape of ADVERSARIAL_SHAPES) assertLinear(t, shape.name, fn, shape.make, options)
}
