import type { OperatorFactory } from '../model.js'
import { literalOperator } from './literal.js'

/** `endsWith`: the value ends with the argument. */
export const endsWith: OperatorFactory = (argument, env) =>
  literalOperator('endsWith', argument, env, (v, a) => v.endsWith(a), e => `${e}$`)
