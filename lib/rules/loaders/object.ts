import { getCollection } from '../collections.js'
// XML (`XML:/*`) and MULTIPART_PART_HEADERS are registered by the SecLang module; YAML and JSON
// rule files (the default rules read XML bodies) target them too.
import '../seclang/collections.js'
import { compileRule } from '../compile.js'
import type { RuleSpec, TargetInput } from '../compile.js'
import { RuleLoadError } from '../errors.js'
import { NO_ARGUMENT_OPERATORS } from '../operators/no-argument.js'
import type { CompiledRule, Disruptive } from '../model.js'
import { parseTargetText } from '../compile.js'
import { responsePhase, responseTargetTooEarly } from '../response-collections.js'

/**
 * The YAML / JSON rule format (DESIGN.md "Rules"): a list of plain objects, one per rule.
 * Both loaders parse their text and hand each object here with its line.
 *
 * ```yaml
 * - id: 100101
 *   msg: SQL injection - UNION SELECT
 *   detect_type: sqli
 *   severity: critical
 *   phase: 1
 *   targets: [ARGS, REQUEST_URI, REQUEST_HEADERS:User-Agent, REQUEST_COOKIES]
 *   transforms: [urlDecodeUni, lowercase]
 *   operator: rx          # rx pm contains beginsWith endsWith streq within eq ge gt le lt; "!rx" negates
 *   pattern: "union\\s+(all\\s+)?select"
 *   action: deny          # deny log pass
 * ```
 */

const FIELDS = new Set([
  'id', 'msg', 'detect_type', 'severity', 'phase', 'targets', 'transforms', 'operator', 'pattern', 'action',
  'status', 'tags', 'bot', 'logdata', 'capture', 'multi_match', 'setvar', 'chain'
])
const CHAIN_FIELDS = new Set(['targets', 'transforms', 'operator', 'pattern', 'capture', 'multi_match', 'setvar', 'chain'])
const ACTIONS: Record<string, { disruptive: Disruptive, log: boolean }> = {
  deny: { disruptive: 'deny', log: true },
  log: { disruptive: 'pass', log: true },
  pass: { disruptive: 'pass', log: false }
}
export const DETECT_TYPES = ['sqli', 'xss', 'lfi', 'rfi', 'rce', 'php', 'scanner', 'protocol', 'custom'] as const

function idOf (obj: Record<string, unknown>): string | undefined {
  const id = obj.id
  return typeof id === 'number' || typeof id === 'string' ? String(id) : undefined
}

/** Chain links have no id: their errors carry the id of the rule they belong to. */
const kParentId = Symbol('parentId')

function fail (file: string, obj: Record<string, unknown>, line: number | undefined, field: string, reason: string): never {
  const parent = (obj as { [kParentId]?: string })[kParentId]
  const id = idOf(obj) ?? (parent === '' ? undefined : parent)
  throw new RuleLoadError(file, id, link(obj) ? `chain.${field}` : field, reason, line)
}

function link (obj: Record<string, unknown>): boolean {
  return (obj as { [kParentId]?: string })[kParentId] !== undefined
}

function stringList (file: string, obj: Record<string, unknown>, line: number | undefined, field: string, v: unknown): string[] {
  if (v === undefined) return []
  if (typeof v === 'string') return [v]
  if (!Array.isArray(v) || v.some(x => typeof x !== 'string')) fail(file, obj, line, field, 'must be a string or a list of strings')
  return v as string[]
}

/**
 * Phase 2 when a target can only be read with the body, else 1: the body's arguments, the text of
 * an XML body and a text/plain body are read by the rule's phase-2 run (model.ts `alsoBody`).
 */
const ALSO_BODY = new Set(['ARGS', 'ARGS_NAMES', 'ARGS_COMBINED_SIZE', 'XML', 'REQUEST_BODY_TEXT'])

function defaultPhase (targets: TargetInput[]): 1 | 2 | 3 | 4 {
  const response = responsePhase(targets)
  if (response !== undefined) return response
  for (const t of targets) {
    const col = getCollection(t.collection)
    if (col !== undefined && col.body && !ALSO_BODY.has(col.name)) return 2
  }
  return 1
}

function toSpec (file: string, obj: Record<string, unknown>, line: number | undefined, link: boolean): RuleSpec {
  const allowed = link ? CHAIN_FIELDS : FIELDS
  for (const k of Object.keys(obj)) {
    if (!allowed.has(k)) fail(file, obj, line, k, link ? 'not allowed in a chain link' : `unknown field; expected one of ${[...FIELDS].join(', ')}`)
  }
  const targets = stringList(file, obj, line, 'targets', obj.targets).map(parseTargetText)
  if (targets.length === 0) fail(file, obj, line, 'targets', 'at least one target is required')
  const rawOp: unknown = obj.operator === undefined ? 'rx' : obj.operator
  if (typeof rawOp !== 'string' || rawOp.length === 0) fail(file, obj, line, 'operator', 'must be an operator name')
  let opName: string = rawOp
  const negated = opName.startsWith('!')
  if (negated) opName = opName.slice(1)
  if (obj.pattern !== undefined && typeof obj.pattern !== 'string' && typeof obj.pattern !== 'number') fail(file, obj, line, 'pattern', 'must be a string')
  const pattern = obj.pattern === undefined ? undefined : String(obj.pattern)
  if (pattern === undefined && !NO_ARGUMENT_OPERATORS.has(opName.toLowerCase())) fail(file, obj, line, 'pattern', 'missing')
  const spec: RuleSpec = {
    file,
    line,
    targets,
    transforms: stringList(file, obj, line, 'transforms', obj.transforms),
    operator: { name: opName, argument: pattern ?? '', negated },
    capture: bool(file, obj, line, 'capture'),
    multiMatch: bool(file, obj, line, 'multi_match'),
    setvars: stringList(file, obj, line, 'setvar', obj.setvar)
  }
  if (obj.chain !== undefined) {
    if (obj.chain === null || typeof obj.chain !== 'object' || Array.isArray(obj.chain)) fail(file, obj, line, 'chain', 'must be a rule object (without id)')
    const chained = { ...(obj.chain as Record<string, unknown>), [kParentId]: idOf(obj) ?? (obj as { [kParentId]?: string })[kParentId] ?? '' }
    spec.chain = toSpec(file, chained, line, true)
  }
  if (link) return spec
  const action = obj.action === undefined ? 'deny' : obj.action
  if (typeof action !== 'string' || ACTIONS[action] === undefined) fail(file, obj, line, 'action', `must be one of ${Object.keys(ACTIONS).join(', ')}`)
  const detectType = obj.detect_type === undefined ? 'custom' : obj.detect_type
  if (typeof detectType !== 'string' || !(DETECT_TYPES as readonly string[]).includes(detectType)) fail(file, obj, line, 'detect_type', `must be one of ${DETECT_TYPES.join(', ')}`)
  if (obj.phase !== undefined && ![1, 2, 3, 4].includes(obj.phase as number)) fail(file, obj, line, 'phase', 'must be 1 (request line and headers), 2 (body), 3 (response headers) or 4 (response body)')
  for (const k of ['msg', 'logdata'] as const) if (obj[k] !== undefined && typeof obj[k] !== 'string') fail(file, obj, line, k, 'must be a string')
  if (obj.severity !== undefined && typeof obj.severity !== 'string') fail(file, obj, line, 'severity', 'must be a string')
  if (obj.status !== undefined && action !== 'deny') fail(file, obj, line, 'status', 'only a deny has a status')
  if (obj.id !== undefined && typeof obj.id !== 'number' && typeof obj.id !== 'string') fail(file, obj, line, 'id', 'must be a number')
  const phase = (obj.phase as 1 | 2 | 3 | 4 | undefined) ?? defaultPhase(targets)
  const early = responseTargetTooEarly(targets, phase)
  if (early !== undefined) fail(file, obj, line, 'targets', early)
  return {
    ...spec,
    id: obj.id as string | number | undefined,
    phase,
    alsoBody: phase === 1,
    msg: obj.msg as string | undefined,
    logdata: obj.logdata as string | undefined,
    severity: obj.severity as string | undefined,
    detectType,
    tags: stringList(file, obj, line, 'tags', obj.tags),
    bot: bool(file, obj, line, 'bot'),
    disruptive: ACTIONS[action].disruptive,
    log: ACTIONS[action].log,
    status: obj.status as number | undefined
  }
}

function bool (file: string, obj: Record<string, unknown>, line: number | undefined, field: string): boolean {
  const v = obj[field]
  if (v === undefined) return false
  if (typeof v !== 'boolean') fail(file, obj, line, field, 'must be true or false')
  return v
}

/** Compiles one rule object of a YAML / JSON file. */
export function compileRuleObject (file: string, value: unknown, line: number | undefined, index: number): CompiledRule {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RuleLoadError(file, undefined, `rules[${index}]`, 'each rule must be an object', line)
  }
  return compileRule(toSpec(file, value as Record<string, unknown>, line, false))
}

/** The list of rules of a parsed file: a list, or `{ rules: [...] }`. */
export function ruleList (file: string, doc: unknown): unknown[] {
  if (Array.isArray(doc)) return doc
  if (doc !== null && typeof doc === 'object' && Array.isArray((doc as { rules?: unknown }).rules)) return (doc as { rules: unknown[] }).rules
  if (doc === null || doc === undefined) return []
  throw new RuleLoadError(file, undefined, 'rules', 'a rule file holds a list of rules (or an object with a "rules" list)')
}
