import type { OperatorFactory } from '../model.js'
import { literalOperator } from './literal.js'

/** `contains`: the value contains the argument. */
export const contains: OperatorFactory = (argument, env) =>
  literalOperator('contains', argument, env, (v, a) => v.includes(a), e => e)
