import type { OperatorFactory } from '../model.js'
import { literalOperator } from './literal.js'

/** `streq`: the value equals the argument. */
export const streq: OperatorFactory = (argument, env) =>
  literalOperator('streq', argument, env, (v, a) => v === a, e => `^${e}$`)
