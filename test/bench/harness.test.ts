import t from 'tap'
import { addedMicros, rpsRatio } from '../../bench/harness.js'
import type { Results, Row } from '../../bench/harness.js'
import type { Load } from '../../bench/load.js'

/**
 * A row's figure against its baseline is taken round by round: the host's speed moves by up to 2x
 * from one minute to the next, and the pair measured in one round shares the minute. Here the
 * host is slow in round 2 for both servers: the paired figures see a steady +10 µs and 0.5x, where
 * a difference of the two medians would report -40 µs and a ratio of medians 0.75.
 */
const unused = async (): Promise<never> => { throw new Error('no load in this test') }
const load: Load = { label: 'test', inProcess: false, saturate: unused, paced: unused }

function results (rows: Record<string, Pick<Row, 'rpsRounds' | 'pacedRounds'>>): Results {
  const map = new Map<string, Row>()
  for (const [name, r] of Object.entries(rows)) {
    map.set(name, { rps: 0, rpsRange: [0, 0], errors: 0, ...r })
  }
  return { rows: map, rate: 1000, load, options: { durationSec: 1, rounds: 3, connections: 1, rateShare: 0.5 }, budgets: new Map() }
}

t.test('added µs and req/s ratios are medians of the rounds\' own differences and ratios', async t => {
  const r = results({
    base: { rpsRounds: [20_000, 10_000, 30_000], pacedRounds: [50, 100, 150] },
    waf: { rpsRounds: [10_000, 5_000, 15_000], pacedRounds: [60, 110, 160] },
    noisy: { rpsRounds: [10_000, 9_000, 15_000], pacedRounds: [60, 60, 160] }
  })
  t.equal(addedMicros(r, 'waf', 'base'), 10)
  t.equal(rpsRatio(r, 'waf', 'base'), 0.5)
  // One odd round moves the median of the differences by nothing.
  t.equal(addedMicros(r, 'noisy', 'base'), 10)
  t.equal(rpsRatio(r, 'noisy', 'base'), 0.5)
  t.equal(addedMicros(r, 'base', 'base'), 0)
})

t.test('a row without paced rounds has no added figure, and an unknown row no ratio', async t => {
  const r = results({ base: { rpsRounds: [1], pacedRounds: [1] }, nginx: { rpsRounds: [2] } })
  t.equal(addedMicros(r, 'nginx', 'base'), undefined)
  t.equal(rpsRatio(r, 'nginx', 'base'), 2)
  t.ok(Number.isNaN(rpsRatio(r, 'missing', 'base')))
})
