import { dirname } from 'node:path'
import { getCollection } from './collections.js'
// The response variables are collections like the request's: registered before any rule names one.
import './response-collections.js'
import { transformChain } from './chain.js'
import { ruleError } from './errors.js'
import type { RuleOrigin } from './errors.js'
import { compileMacro, compileMacroIfAny, isConstant, literalMacro } from './macro.js'
import { SEVERITIES } from './model.js'
import type {
  CompiledRule, Ctl, Disruptive, IdRange, Macro, Operator, OperatorEnv, Phase, RuleActions, RuleHook, SetVar,
  Severity, TargetExclusion, TargetSpec
} from './model.js'
import { getOperator } from './operators/index.js'
import { compileRegex } from './regex.js'

/**
 * `compileRule` turns a plain, format-neutral rule description into a CompiledRule, checking
 * everything: every loader (YAML, JSON, SecLang) goes through it, so every loader reports
 * errors the same way (file, rule id, field, reason).
 */

/** A target as data: SecLang's parsed variable shape, or text (`ARGS:q`, `!ARGS:q`, `&ARGS`, `ARGS:/re/`). */
export interface TargetInput {
  collection: string
  key?: string
  keyIsRegex?: boolean
  count?: boolean
  exclude?: boolean
}

export interface SetVarInput {
  name: string
  op: '=' | '+' | '-' | 'unset'
  value?: string
}

export interface RuleSpec {
  /** Required, except on chain links. */
  id?: string | number
  /** 1–5; default 2 as in ModSecurity (the YAML loader defaults to 1). */
  phase?: number
  /** The rule file, for messages and for operators that read files beside it. */
  file?: string
  line?: number
  targets?: ReadonlyArray<string | TargetInput>
  transforms?: readonly string[]
  /** Defaults to `unconditionalMatch` (SecAction). */
  operator?: { name: string, argument?: string, negated?: boolean }
  disruptive?: Disruptive
  status?: number
  allowScope?: 'phase' | 'request'
  /** Default true. */
  log?: boolean
  capture?: boolean
  multiMatch?: boolean
  /** `tx.name=value`, `tx.name=+1`, `!tx.name`, or objects. */
  setvars?: ReadonlyArray<string | SetVarInput>
  skipAfter?: string
  skip?: number
  /** `ruleRemoveById=1-5`, `ruleRemoveTargetById=942100;ARGS:q`, `ruleEngine=DetectionOnly`, or compiled Ctl. */
  ctls?: ReadonlyArray<string | Ctl>
  msg?: string
  logdata?: string
  severity?: string | number
  tags?: readonly string[]
  detectType?: string
  bot?: boolean
  meta?: Readonly<Record<string, string>>
  hooks?: readonly RuleHook[]
  chain?: RuleSpec
  /** Phase 1 only: also run in phase 2 over the body's arguments (see CompiledRule.alsoBody). */
  alsoBody?: boolean
}

const ID = /^[1-9][0-9]{0,15}$/

/** Parses `ARGS:q`, `!ARGS:q`, `&ARGS`, `ARGS:/re/` into the data shape. */
export function parseTargetText (text: string): TargetInput {
  let s = text.trim()
  const t: TargetInput = { collection: '' }
  if (s.startsWith('!')) { t.exclude = true; s = s.slice(1) }
  if (s.startsWith('&')) { t.count = true; s = s.slice(1) }
  const colon = s.indexOf(':')
  t.collection = (colon === -1 ? s : s.slice(0, colon)).toUpperCase()
  if (colon !== -1) {
    let key = s.slice(colon + 1)
    if (key.length >= 2 && key.startsWith('/') && key.endsWith('/')) {
      key = key.slice(1, -1)
      t.keyIsRegex = true
    }
    t.key = key
  }
  return t
}

function compileTarget (input: string | TargetInput, origin: RuleOrigin): { spec?: TargetSpec, exclusion?: TargetExclusion } {
  const t = typeof input === 'string' ? parseTargetText(input) : input
  const name = t.collection.toUpperCase()
  const col = getCollection(name)
  const shown = typeof input === 'string' ? input : `${t.exclude === true ? '!' : ''}${t.count === true ? '&' : ''}${name}${t.key === undefined ? '' : `:${t.key}`}`
  if (col === undefined) throw ruleError(origin, 'targets', `unknown target "${shown}"`)
  let key: string | undefined
  let keyPattern
  if (t.key !== undefined && t.key.length > 0) {
    if (t.keyIsRegex === true) {
      try {
        keyPattern = compileRegex(t.key, col.caseless ? 'i' : '')
      } catch (err) {
        throw ruleError(origin, 'targets', `invalid key pattern in "${shown}": ${(err as Error).message}`)
      }
    } else {
      key = col.caseless ? t.key.toLowerCase() : t.key
    }
  }
  if (t.exclude === true) {
    if (t.count === true) throw ruleError(origin, 'targets', `"${shown}": an exclusion cannot count`)
    const ex: TargetExclusion = { collection: name }
    if (key !== undefined) ex.key = key
    if (keyPattern !== undefined) ex.keyPattern = keyPattern
    return { exclusion: ex }
  }
  const spec: TargetSpec = { collection: name, count: t.count === true }
  if (key !== undefined) spec.key = key
  if (keyPattern !== undefined) spec.keyPattern = keyPattern
  return { spec }
}

const SETVAR = /^(!)?\s*([A-Za-z_]+)\.([^=]+?)\s*(?:=([+-])?(.*))?$/s

/** Parses `tx.name=value`, `tx.name=+5` (add), `tx.name=-1` (subtract), `!tx.name` (unset), `tx.name` (empty). */
export function parseSetVar (text: string): SetVarInput {
  const m = SETVAR.exec(text.trim())
  if (m === null) throw new Error(`cannot read setvar "${text}"`)
  if (m[2].toUpperCase() !== 'TX') throw new Error(`setvar "${text}": only the TX collection is supported`)
  if (m[1] === '!') return { name: m[3], op: 'unset' }
  if (m[4] === undefined && m[5] === undefined) return { name: m[3], op: '=', value: '' }
  return { name: m[3], op: m[4] === '+' ? '+' : m[4] === '-' ? '-' : '=', value: m[5] ?? '' }
}

/** `942100`, `942100-942199`, `1 2 3`: id ranges. */
export function parseIdRanges (text: string): IdRange[] {
  const out: IdRange[] = []
  for (const part of text.split(/[\s,]+/)) {
    if (part.length === 0) continue
    const m = /^(\d+)(?:-(\d+))?$/.exec(part)
    if (m === null) throw new Error(`"${part}" is not a rule id or id range`)
    const from = Number(m[1])
    const to = m[2] === undefined ? from : Number(m[2])
    if (to < from) throw new Error(`id range "${part}" is backwards`)
    out.push({ from, to })
  }
  if (out.length === 0) throw new Error('no rule id given')
  return out
}

const ENGINE_MODES: Record<string, 'block' | 'detect' | 'off'> = { on: 'block', off: 'off', detectiononly: 'detect', block: 'block', detect: 'detect' }

/** Parses `ruleRemoveById=…`, `ruleRemoveByTag=…`, `ruleRemoveTargetById=ID;TARGET`, `ruleRemoveTargetByTag=TAG;TARGET`, `ruleEngine=On|Off|DetectionOnly`. */
export function parseCtl (text: string, origin: RuleOrigin = { file: '<ctl>', ruleId: undefined }): Ctl {
  const eq = text.indexOf('=')
  if (eq === -1) throw new Error(`ctl "${text}" needs name=value`)
  const name = text.slice(0, eq).trim().toLowerCase()
  const value = text.slice(eq + 1).trim()
  const target = (spec: string): TargetExclusion => {
    const c = compileTarget(`!${spec.replace(/^!/, '')}`, origin)
    return c.exclusion as TargetExclusion
  }
  switch (name) {
    case 'ruleremovebyid': return { kind: 'ruleRemoveById', ids: parseIdRanges(value) }
    case 'ruleremovebytag': return { kind: 'ruleRemoveByTag', tag: compileRegex(value) }
    case 'ruleremovetargetbyid':
    case 'ruleremovetargetbytag': {
      const semi = value.indexOf(';')
      if (semi === -1) throw new Error(`ctl "${text}" needs ID;TARGET`)
      const t = target(value.slice(semi + 1))
      return name === 'ruleremovetargetbyid'
        ? { kind: 'ruleRemoveTargetById', ids: parseIdRanges(value.slice(0, semi)), target: t }
        : { kind: 'ruleRemoveTargetByTag', tag: compileRegex(value.slice(0, semi)), target: t }
    }
    case 'ruleengine': {
      const mode = ENGINE_MODES[value.toLowerCase()]
      if (mode === undefined) throw new Error(`ctl ruleEngine: unknown mode "${value}"`)
      return { kind: 'ruleEngine', mode }
    }
    default: throw new Error(`unsupported ctl "${name}"`)
  }
}

function severityOf (v: string | number, origin: RuleOrigin): Severity {
  if (typeof v === 'number' || /^\d$/.test(v)) {
    const s = SEVERITIES[Number(v)]
    if (s === undefined) throw ruleError(origin, 'severity', `"${v}" is not 0–7`)
    return s
  }
  const s = v.toLowerCase() as Severity
  if (!SEVERITIES.includes(s)) throw ruleError(origin, 'severity', `unknown severity "${v}"; expected one of ${SEVERITIES.join(', ')}`)
  return s
}

function compileOperator (spec: RuleSpec, origin: RuleOrigin): { op: Operator, negated: boolean } {
  const name = spec.operator?.name ?? 'unconditionalMatch'
  const entry = getOperator(name)
  if (entry === undefined) throw ruleError(origin, 'operator', `unknown operator "${name}"`)
  const env: OperatorEnv = {
    file: origin.file,
    ruleId: origin.ruleId,
    dir: dirname(origin.file),
    macro: compileMacroIfAny
  }
  try {
    return { op: entry.factory(spec.operator?.argument ?? '', env), negated: spec.operator?.negated === true }
  } catch (err) {
    const field = entry.name === 'rx' || entry.name === 'pm' ? 'pattern' : 'operator'
    throw ruleError(origin, field, `${entry.name} "${short(spec.operator?.argument ?? '')}": ${(err as Error).message}`)
  }
}

function short (s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}

function compileActions (spec: RuleSpec, origin: RuleOrigin): RuleActions {
  const setvars: SetVar[] = (spec.setvars ?? []).map(sv => {
    let v: SetVarInput
    try {
      v = typeof sv === 'string' ? parseSetVar(sv) : sv
    } catch (err) {
      throw ruleError(origin, 'setvar', (err as Error).message)
    }
    const name = compileMacro(v.name)
    const out: SetVar = { collection: 'TX', name, op: v.op, value: v.value === undefined ? literalMacro('') : compileMacro(v.value) }
    if (isConstant(name)) out.key = v.name.toLowerCase()
    return out
  })
  const ctls: Ctl[] = (spec.ctls ?? []).map(c => {
    if (typeof c !== 'string') return c
    try {
      return parseCtl(c, origin)
    } catch (err) {
      throw ruleError(origin, 'ctl', (err as Error).message)
    }
  })
  if (spec.status !== undefined && (!Number.isInteger(spec.status) || spec.status < 100 || spec.status > 599)) {
    throw ruleError(origin, 'status', `${String(spec.status)} is not an HTTP status`)
  }
  if (spec.skip !== undefined && (!Number.isInteger(spec.skip) || spec.skip < 0)) throw ruleError(origin, 'skip', 'must be a whole number')
  const disruptive = spec.disruptive
  if (disruptive !== undefined && !['deny', 'block', 'pass', 'allow', 'drop'].includes(disruptive)) {
    throw ruleError(origin, 'action', `unknown action "${String(disruptive)}"`)
  }
  return {
    disruptive,
    status: spec.status,
    allowScope: spec.allowScope ?? 'request',
    log: spec.log ?? true,
    capture: spec.capture === true,
    multiMatch: spec.multiMatch === true,
    setvars,
    skipAfter: spec.skipAfter,
    skip: spec.skip ?? 0,
    ctls,
    bot: spec.bot === true,
    hooks: [...(spec.hooks ?? [])]
  }
}

/** Compiles one rule (and its chain). Throws RuleLoadError naming file, id and field. */
export function compileRule (spec: RuleSpec, chainLink = false): CompiledRule {
  const file = spec.file ?? '<inline>'
  const rawId = spec.id
  const id = rawId === undefined ? '' : String(rawId)
  const origin: RuleOrigin = { file, line: spec.line, ruleId: id === '' ? undefined : id }
  if (!chainLink) {
    if (id === '') throw ruleError(origin, 'id', 'missing id')
    if (!ID.test(id)) throw ruleError(origin, 'id', `invalid id ${JSON.stringify(id)}: ids are positive whole numbers`)
  }
  const phase = spec.phase ?? 2
  if (!Number.isInteger(phase) || phase < 1 || phase > 5) throw ruleError(origin, 'phase', `${String(spec.phase)} is not a phase (1–5)`)
  const targets: TargetSpec[] = []
  const exclusions: TargetExclusion[] = []
  for (const t of spec.targets ?? []) {
    const c = compileTarget(t, origin)
    if (c.spec !== undefined) targets.push(c.spec)
    if (c.exclusion !== undefined) exclusions.push(c.exclusion)
  }
  if (spec.operator !== undefined && spec.operator.name !== 'unconditionalMatch' && targets.length === 0) {
    throw ruleError(origin, 'targets', 'no target (give at least one variable)')
  }
  let transforms
  try {
    transforms = transformChain(spec.transforms ?? [])
  } catch (err) {
    throw ruleError(origin, 'transforms', (err as Error).message)
  }
  const { op, negated } = compileOperator(spec, origin)
  const actions = compileActions(spec, origin)
  const macro = (text: string | undefined): Macro | undefined => text === undefined ? undefined : compileMacro(text)
  let chain: CompiledRule | undefined
  if (spec.chain !== undefined) {
    try {
      chain = compileRule({ ...spec.chain, file, phase, id: undefined }, true)
    } catch (err) {
      const e = err as Error & { field?: string }
      throw ruleError(origin, `chain.${e.field ?? 'rule'}`, (err as { reason?: string }).reason ?? e.message)
    }
  }
  return {
    kind: 'rule',
    id,
    num: id === '' ? NaN : Number(id),
    phase: phase as Phase,
    file,
    line: spec.line,
    targets,
    exclusions,
    transforms,
    operator: op,
    negated,
    actions,
    msg: macro(spec.msg),
    logdata: macro(spec.logdata),
    severity: spec.severity === undefined ? undefined : severityOf(spec.severity, origin),
    tags: [...(spec.tags ?? [])],
    detectType: spec.detectType ?? 'custom',
    meta: { ...(spec.meta ?? {}) },
    chain,
    alsoBody: spec.alsoBody === true && phase === 1
  }
}
