import type { OperatorFactory } from '../model.js'

/** `unconditionalMatch`: always matches (SecAction compiles to it). */
export const unconditionalMatch: OperatorFactory = argument => ({
  name: 'unconditionalMatch',
  argument,
  match: (value, ctx) => {
    ctx.matched = value
    return true
  }
})
