import t from 'tap'
import fc from 'fast-check'
import { getTransformation, transformationNames } from '../../../lib/rules/transformations/index.js'
import { transformChain } from '../../../lib/rules/chain.js'

/**
 * A transformation's trigger promises that a value without those characters comes out
 * unchanged; the engine then skips the call. A broken promise would hide attacks, so every
 * trigger is checked against random byte strings that avoid it.
 */
t.test('no trigger character, no change', async t => {
  for (const name of transformationNames()) {
    const tr = getTransformation(name)
    if (tr?.trigger === undefined) continue
    const trigger = new RegExp(`[${tr.trigger}]`)
    fc.assert(fc.property(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map(c => String.fromCharCode(c)), maxLength: 40 }), s => {
      const clean = s.replace(new RegExp(`[${tr.trigger}]`, 'g'), '')
      return trigger.test(clean) || tr.fn(clean) === clean
    }), { numRuns: 2000 })
    t.pass(`${name}: [${tr.trigger}]`)
  }
})

t.test('a chain triggers on the union of its transformations, and only when all have one', async t => {
  const chain = transformChain(['urlDecodeUni', 'htmlEntityDecode', 'jsDecode'])
  t.ok(chain.trigger?.test('%'))
  t.ok(chain.trigger?.test('&'))
  t.ok(chain.trigger?.test('\\'))
  t.notOk(chain.trigger?.test('plain text 123'))
  t.equal(transformChain(['urlDecodeUni', 'base64Decode']).trigger, undefined, 'base64Decode changes anything')
  t.equal(transformChain(['none']).trigger, undefined, 'the root has none: nothing to run')
})
