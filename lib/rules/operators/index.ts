import type { OperatorFactory } from '../model.js'
import { beginsWith } from './begins-with.js'
import { contains } from './contains.js'
import { detectSQLi } from './detect-sqli.js'
import { detectXSS } from './detect-xss.js'
import { endsWith } from './ends-with.js'
import { eq } from './eq.js'
import { ge } from './ge.js'
import { gt } from './gt.js'
import { le } from './le.js'
import { lt } from './lt.js'
import { noMatch } from './no-match.js'
import { pm } from './pm.js'
import { rx } from './rx.js'
import { streq } from './streq.js'
import { unconditionalMatch } from './unconditional-match.js'
import { within } from './within.js'

/** The operator registry. Names are matched case-insensitively; the registered spelling is reported. */
const registry = new Map<string, { name: string, factory: OperatorFactory }>()

export function registerOperator (name: string, factory: OperatorFactory): void {
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new TypeError(`registerOperator: invalid name ${JSON.stringify(name)}`)
  if (typeof factory !== 'function') throw new TypeError(`registerOperator: "${name}" needs a factory function`)
  registry.set(name.toLowerCase(), { name, factory })
}

export function getOperator (name: string): { name: string, factory: OperatorFactory } | undefined {
  return registry.get(name.toLowerCase())
}

export function operatorNames (): string[] {
  return [...registry.values()].map(o => o.name).sort()
}

const BUILTIN: Record<string, OperatorFactory> = {
  rx, pm, contains, beginsWith, endsWith, streq, within, eq, ge, gt, le, lt, unconditionalMatch, noMatch, detectSQLi, detectXSS
}
for (const [name, factory] of Object.entries(BUILTIN)) registerOperator(name, factory)

/**
 * Operators whose answer depends on the value and their (macro-free) argument alone, as the
 * built-in ones are: a rule over constants with one of these gives the same answer on every
 * request (the phase-1 prelude, ../phase-table.ts). False once the name is registered anew.
 */
const PURE = ['rx', 'pm', 'contains', 'beginsWith', 'endsWith', 'streq', 'within', 'eq', 'ge', 'gt', 'le', 'lt', 'unconditionalMatch', 'noMatch']

export function isPureOperator (name: string): boolean {
  const key = PURE.find(p => p.toLowerCase() === name.toLowerCase())
  return key !== undefined && getOperator(key)?.factory === BUILTIN[key]
}
