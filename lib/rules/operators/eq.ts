import type { OperatorFactory } from '../model.js'
import { numericOperator } from './numeric.js'

/** `eq`: the value, read as an integer, compared with the argument: `a === b`. */
export const eq: OperatorFactory = (argument, env) => numericOperator('eq', argument, env, (a, b) => a === b)
