/**
 * Numbers as JSON.stringify writes them, without its slow path. `String(n)` of a number outside
 * the small-integer range (an epoch-ms time, 1.7e12) goes through the general double-to-shortest
 * conversion, 150 ns or more; the same digits are two small integers away.
 */

/** `String(n)`, or `null` for what JSON cannot hold. */
export function numberJson (n: number): string {
  return Number.isFinite(n) ? String(n) : 'null'
}

/** Three-digit zero-padded 0–999. */
const PAD3: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'))

/** Below this many seconds (year 2038) the seconds of an epoch-ms time are a small integer. */
const SMALL_SECONDS = 2 ** 31

/** `numberJson(t)` for an epoch-ms time: seconds and milliseconds written as small integers. */
export function epochMsJson (t: number): string {
  if (t >= 1000 && Number.isInteger(t)) {
    const s = Math.floor(t / 1000)
    if (s < SMALL_SECONDS) return String(s) + PAD3[t - s * 1000]
  }
  return numberJson(t)
}

/** ms rounded to µs, as the record holds it. */
export function roundMs (ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms * 1000) / 1000 : 0
}

/** `''`, `.5`, `.25`, `.125` …: the fraction k/1000 as String writes it, trailing zeros cut. */
const FRACTION: readonly string[] = Array.from({ length: 1000 }, (_, k) => k === 0 ? '' : ('.' + PAD3[k]).replace(/0+$/, ''))

/**
 * `String(roundMs(ms))` from the whole µs: for |µs| below 2^31, k/1000 as a double is nearest to
 * the decimal k/1000, and no shorter decimal lies within its ulp (far below 0.001 at that size),
 * so the shortest form JSON.stringify writes is that decimal. A test compares the two.
 */
export function msJson (ms: number): string {
  if (!Number.isFinite(ms)) return '0'
  const k = Math.round(ms * 1000)
  if (k < SMALL_SECONDS && k > -SMALL_SECONDS) {
    const a = k < 0 ? -k : k
    const whole = Math.floor(a / 1000)
    return (k < 0 ? '-' : '') + String(whole) + FRACTION[a - whole * 1000]
  }
  return numberJson(k / 1000)
}
