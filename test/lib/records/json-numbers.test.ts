import t from 'tap'
import fc from 'fast-check'
import { epochMsJson, msJson, numberJson, roundMs } from '../../../lib/records/json-numbers.js'

/** What the json writer writes for a number: the forms below must be these bytes. */
const stringified = (n: number): string => JSON.stringify(n)

const edges = [0, -0, 1, 999, 1000, 1001, 1763764800123, 2 ** 31 * 1000 - 1, 2 ** 31 * 1000, 2 ** 53, -1, -1000, 0.5, 1e21, 1e-7,
  Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MAX_VALUE, Number.MIN_VALUE, 0.0005, 0.0015, -0.0005, 2147483.6475, 2147483.6485, -2147483.6475, 123.4565]

t.test('epochMsJson and numberJson write what JSON.stringify writes', async t => {
  for (const n of edges) {
    t.equal(epochMsJson(n), stringified(n), `epoch ${n}`)
    t.equal(numberJson(n), stringified(n), `number ${n}`)
  }
  fc.assert(fc.property(fc.oneof(fc.integer({ min: 0, max: 2 ** 31 * 1000 + 5000 }), fc.double(), fc.maxSafeInteger()), n => epochMsJson(n) === stringified(n)), { numRuns: 20000 })
})

t.test('msJson writes the rounded ms as JSON.stringify writes roundMs', async t => {
  for (const n of edges) t.equal(msJson(n), stringified(roundMs(n)), `ms ${n}`)
  // Whole µs around the small-integer bound, both signs, and every fraction 0–999 once.
  for (let k = 0; k < 1000; k++) {
    for (const whole of [0, 1, 42, 2147482, 2147483]) {
      for (const sign of [1, -1]) {
        const ms = sign * (whole * 1000 + k) / 1000
        if (msJson(ms) !== stringified(roundMs(ms))) t.fail(`ms ${ms}: ${msJson(ms)} != ${stringified(roundMs(ms))}`)
      }
    }
  }
  fc.assert(fc.property(fc.oneof(fc.double(), fc.double({ min: -3e6, max: 3e6 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 }).map(k => k / 1000)),
    n => msJson(n) === stringified(roundMs(n))), { numRuns: 50000 })
  t.pass('msJson agrees with JSON.stringify(roundMs(n)) on edges and 50000 random values')
})
