import type { OperatorFactory } from '../model.js'
import { numericOperator } from './numeric.js'

/** `ge`: the value, read as an integer, compared with the argument: `a >= b`. */
export const ge: OperatorFactory = (argument, env) => numericOperator('ge', argument, env, (a, b) => a >= b)
