/** Every registered transformation timed on 10 KB and 100 KB of each adversarial shape (test/helpers/linear.ts). */
import t from 'tap'
import { getTransformation, transformationNames } from '../../../../lib/rules/transformations/index.js'
import type { TransformFn } from '../../../../lib/rules/model.js'
import { assertLinearOnShapes } from '../../../helpers/linear.js'

// One test per function: an alias (normalisePath) runs the function of its original name.
const seen = new Set<TransformFn>()
for (const name of transformationNames()) {
  const fn = getTransformation(name)?.fn
  if (fn === undefined || seen.has(fn)) continue
  seen.add(fn)
  t.test(`${name} is linear on 100 KB of adversarial input`, async t => {
    assertLinearOnShapes(t, fn)
  })
}

