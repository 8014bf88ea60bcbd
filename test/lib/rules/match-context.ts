import { compileMacroIfAny, expandMacro } from '../../../lib/rules/macro.js'
import type { Macro, MatchContext, Operator, OperatorEnv } from '../../../lib/rules/model.js'
import { getOperator } from '../../../lib/rules/operators/index.js'

/** A MatchContext over a plain TX map, for operator tests. */
export class TestContext implements MatchContext {
  matched: string | undefined = undefined
  readonly tx = new Map<string, string>()
  constructor (readonly capture = false) {}
  setCapture (i: number, v: string): void {
    this.tx.set(String(i), v)
  }

  expand (m: Macro): string {
    return expandMacro(m, ref => ref.collection === 'TX' && ref.key !== undefined ? this.tx.get(ref.key.toLowerCase()) ?? '' : '')
  }
}

export const env: OperatorEnv = { file: 'test.yaml', ruleId: '1', dir: '.', macro: compileMacroIfAny }

/** The registered operator `name` built with `argument`. */
export function op (name: string, argument: string): Operator {
  const entry = getOperator(name)
  if (entry === undefined) throw new Error(`no operator ${name}`)
  return entry.factory(argument, env)
}
