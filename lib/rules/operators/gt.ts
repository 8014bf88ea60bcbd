import type { OperatorFactory } from '../model.js'
import { numericOperator } from './numeric.js'

/** `gt`: the value, read as an integer, compared with the argument: `a > b`. */
export const gt: OperatorFactory = (argument, env) => numericOperator('gt', argument, env, (a, b) => a > b)
