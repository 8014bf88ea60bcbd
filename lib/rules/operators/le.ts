import type { OperatorFactory } from '../model.js'
import { numericOperator } from './numeric.js'

/** `le`: the value, read as an integer, compared with the argument: `a <= b`. */
export const le: OperatorFactory = (argument, env) => numericOperator('le', argument, env, (a, b) => a <= b)
