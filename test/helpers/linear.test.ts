import t from 'tap'
import { assertLinear, measureLinearity, repeatTo, ADVERSARIAL_SHAPES } from './linear.js'

/** Quadratic on purpose: for each position, a scan of the prefix before it (every 256th character). */
function quadratic (s: string): number {
  let x = 0
  for (let i = 0; i < s.length; i++) for (let j = 0; j < i; j += 256) x += s.charCodeAt(j)
  return x
}

/** Linear: one pass. */
function linear (s: string): number {
  let x = 0
  for (let i = 0; i < s.length; i++) x += s.charCodeAt(i)
  return x
}

t.test('a quadratic function fails assertLinear (ratio near 100)', async t => {
  const seen: Array<{ value: unknown, message?: string }> = []
  const m = assertLinear({ ok: (value, message) => seen.push({ value, message }) }, 'quadratic', quadratic, n => repeatTo('ab', n))
  t.equal(seen.length, 1)
  t.notOk(seen[0].value, `reported as failing: ${seen[0].message}`)
  t.ok(m.ratio > 60, `ratio ${m.ratio.toFixed(1)} > 60`)
})

t.test('a linear function passes (ratio near 10)', async t => {
  const m = assertLinear(t, 'linear', linear, n => repeatTo('ab', n))
  t.ok(m.ratio > 4, `ratio ${m.ratio.toFixed(1)} > 4: the time grows with the size (the measure is not all overhead)`)
})

t.test('the measure honours its sizes', async t => {
  const sizes: number[] = []
  measureLinearity((s: string) => s.length, n => { sizes.push(n); return 'x'.repeat(n) }, { small: 100, large: 1000, runs: 1, minMs: 0.1 })
  t.same(sizes, [100, 1000])
  for (const shape of ADVERSARIAL_SHAPES) {
    t.equal(shape.make(10_000).length, 10_000, `${shape.name}: exactly 10,000 characters`)
    t.equal(shape.make(100_000).length, 100_000, `${shape.name}: exactly 100,000 characters`)
  }
})
