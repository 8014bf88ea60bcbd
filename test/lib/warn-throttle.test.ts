import t from 'tap'
import { WarnThrottle } from '../../lib/warn-throttle.js'

t.test('the first event is written at once, the next ones once per interval, together', async t => {
  let pending = 0
  const written: number[] = []
  const throttle = new WarnThrottle(150, () => {
    if (pending === 0) return false
    written.push(pending)
    pending = 0
    return true
  })
  const event = (): void => { pending++; throttle.poke() }
  event()
  t.same(written, [1], 'at once')
  for (let i = 0; i < 5; i++) event()
  t.same(written, [1], 'the rest wait for the interval')
  await new Promise(resolve => setTimeout(resolve, 220))
  t.same(written, [1, 5], 'one warning with all five')
  event()
  throttle.flush()
  t.same(written, [1, 5, 1], 'flush writes what is pending without waiting')
  throttle.flush()
  t.same(written, [1, 5, 1], 'nothing pending: nothing written')
})
