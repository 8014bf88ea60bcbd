import t from 'tap'
import fc from 'fast-check'
import { getTransformation, transformationNames } from '../../../lib/rules/transformations/index.js'
import { transformChain } from '../../../lib/rules/chain.js'
import type { TransformNode } from '../../../lib/rules/model.js'
import { transformed, VarEntry } from '../../../lib/rules/variables.js'

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

t.test('transformed() gives each chain\'s plain fold of its functions, whatever the order chains are asked in (triggers, the per-value cache, a no-op prefix served by the transformation alone)', async t => {
  const names = transformationNames().filter(n => n !== 'none')
  const unit = fc.constantFrom('%', '2', '7', 'A', 'a', '&', 'l', 't', ';', '#', '\\', 'x', 'u', ' ', '\t', '/', '*', '+', "'", '"', '\0', 'Z', 'e', '(', '\xe9', '\xff')
  const plain = (node: TransformNode, v: string): string => node.parent === undefined ? v : node.fn(plain(node.parent, v))
  let served = 0
  fc.assert(fc.property(
    fc.array(fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
    fc.array(unit, { maxLength: 24 }).map(a => a.join('')),
    (chains, value) => {
      const e = new VarEntry('k', 'k', value)
      return chains.every(list => {
        const node = transformChain(list)
        if (node.solo !== undefined && plain(node.parent as TransformNode, value) === value) served++
        return transformed(e, node) === plain(node, value)
      })
    }), { numRuns: 4000 })
  t.ok(served > 1000, `chains whose prefix left the value as it was are among them (${served})`)
  const lower = transformChain(['htmlEntityDecode', 'lowercase'])
  t.equal(lower.solo, transformChain(['lowercase']), 'a node below the first level knows its transformation alone')
  t.equal(transformChain(['lowercase']).solo, undefined)
})
