import type { OperatorFactory } from '../model.js'
import { numericOperator } from './numeric.js'

/** `lt`: the value, read as an integer, compared with the argument: `a < b`. */
export const lt: OperatorFactory = (argument, env) => numericOperator('lt', argument, env, (a, b) => a < b)
