import type { OperatorFactory } from '../model.js'
import { literalOperator } from './literal.js'

/**
 * `within`: the value occurs inside the argument (`@within GET POST HEAD` on the method). An
 * empty value matches, as in ModSecurity.
 */
export const within: OperatorFactory = (argument, env) =>
  literalOperator('within', argument, env, (v, a) => v.length === 0 || a.includes(v), undefined)
