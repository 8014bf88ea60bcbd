import type { OperatorFactory } from '../model.js'
import { literalOperator } from './literal.js'

/** `beginsWith`: the value starts with the argument. */
export const beginsWith: OperatorFactory = (argument, env) =>
  literalOperator('beginsWith', argument, env, (v, a) => v.startsWith(a), e => `^${e}`)
