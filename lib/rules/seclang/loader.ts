import { readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import { compileRule } from '../compile.js'
import type { RuleSpec, TargetInput } from '../compile.js'
import { RuleLoadError } from '../errors.js'
import type { RuleLoader } from '../loaders/index.js'
import type { CompiledRule, Disruptive, IdRange, Phase } from '../model.js'
import { compileRegex } from '../regex.js'
import type { Regex } from '../regex.js'
import type { RuleSetBuilder } from '../ruleset.js'
import { inRanges } from '../transaction.js'
import type {
  ActionRef, ConfigDirective, DefaultActionDirective, Directive, RemoveDirective, SecActionDirective,
  SecRuleDirective, UpdateActionDirective, UpdateTargetDirective
} from './ast.js'
import { applyConfigDirective, DirectiveError } from './directives.js'
import { CRS_OPTIONS_RULE_ID, crsSetVars } from './options.js'
import type { CrsOptions } from './options.js'
import { parseSecLang } from './parser.js'
import { emptyReport } from './report.js'
import type { ReportItem, SecLangReport } from './report.js'
import { translateRule } from './translate.js'
import type { Inherited } from './translate.js'
import { parseVariables } from './variables.js'
import { responseDirective } from './response-directives.js'

/**
 * The SecLang loader: parses `.conf` text and adds its rules to a RuleSetBuilder. State that
 * spans files (SecDefaultAction, the specs SecRuleUpdate*ById rewrite, the load report, the
 * CRS options) is kept per builder, so loading the CRS as a folder of files behaves as
 * ModSecurity's Include of them in order.
 */
interface LoaderState {
  options: CrsOptions | undefined
  optionsPlaced: boolean
  logDefault: Partial<Record<number, boolean>>
  /** Compiled specs by id, for SecRuleUpdateTargetById / ActionById. */
  specs: Map<string, RuleSpec>
  /**
   * Removals and updates, kept to apply to rules loaded after them too: as in ModSecurity v3,
   * where they are exceptions of the whole rule set, their place in the load order does not
   * matter (an exclusion file may come before or after the CRS, or the default rules).
   */
  updates: Array<(id: string, spec: RuleSpec) => RuleSpec | undefined>
  /** Run once the report is read: an update that never found a rule says so. */
  pendingChecks: Array<() => void>
  report: SecLangReport
  including: Set<string>
}

const states = new WeakMap<RuleSetBuilder, LoaderState>()

function stateOf (builder: RuleSetBuilder): LoaderState {
  let s = states.get(builder)
  if (s === undefined) {
    s = { options: undefined, optionsPlaced: false, logDefault: {}, specs: new Map(), updates: [], pendingChecks: [], report: emptyReport(), including: new Set() }
    states.set(builder, s)
  }
  return s
}

/** Sets CRS options (paranoia, threshold, TX variables) for the SecLang files this builder loads. */
export function configureSecLang (builder: RuleSetBuilder, options: CrsOptions | undefined): void {
  stateOf(builder).options = options
}

/** The report of what the SecLang files loaded into this builder did. */
export function secLangReport (builder: RuleSetBuilder): SecLangReport {
  const s = stateOf(builder)
  const r = s.report
  for (const check of s.pendingChecks.splice(0)) check()
  r.removed = builder.removed
  r.unreachable = builder.unreachable
  if (s.options !== undefined && !s.optionsPlaced && r.files.length > 0 && !r.ignored.some(i => i.reason.startsWith('CRS options'))) {
    r.ignored.push({ file: r.files[0]!, line: 0, reason: 'CRS options have no effect: no REQUEST-901 initialization rule was loaded' })
  }
  return r
}

export const loadSecLangRules: RuleLoader = (file: string, text: string, builder: RuleSetBuilder): number => {
  const s = stateOf(builder)
  const before = s.report.loaded
  loadText(s, builder, file, text)
  return s.report.loaded - before
}

function loadText (s: LoaderState, builder: RuleSetBuilder, file: string, text: string): void {
  const parsed = parseSecLang(text, file)
  s.report.files.push(file)
  for (const d of parsed.diagnostics) s.report.ignored.push({ file: d.loc.file, line: d.loc.line, reason: `syntax: ${d.message}: ${d.excerpt}` })
  for (const d of parsed.directives) directive(s, builder, d)
}

function directive (s: LoaderState, builder: RuleSetBuilder, d: Directive): void {
  switch (d.kind) {
    case 'rule':
    case 'action': return addRule(s, builder, d)
    case 'marker': builder.addMarker(d.name); return
    case 'defaultAction': return defaultAction(s, builder, d)
    case 'updateTarget': return updateTarget(s, builder, d)
    case 'updateAction': return updateAction(s, builder, d)
    case 'remove': return remove(s, builder, d)
    case 'config': return config(s, builder, d)
  }
}

function idOf (actions: ActionRef[]): string | undefined {
  return actions.find(a => a.name === 'id')?.value
}

function item (d: { loc: { file: string, line: number } }, reason: string, id?: string): ReportItem {
  const i: ReportItem = { file: d.loc.file, line: d.loc.line, reason }
  if (id !== undefined) i.id = id
  return i
}

const PHASE_NAMES: Record<string, number> = { request: 2, response: 4, logging: 5 }

function addRule (s: LoaderState, builder: RuleSetBuilder, d: SecRuleDirective | SecActionDirective): void {
  const id = idOf(d.actions)
  const t = translateRule(d, p => inherited(s, p))
  for (const a of t.ignoredActions) s.report.ignoredActions[a] = (s.report.ignoredActions[a] ?? 0) + 1
  if (t.spec === undefined) {
    s.report.unsupported.push(item(d, t.unsupported as string, id))
    return
  }
  let spec = t.spec
  for (const u of s.updates) spec = (id === undefined ? undefined : u(id, spec)) ?? spec
  let rule: CompiledRule
  try {
    rule = compileRule(spec)
  } catch (err) {
    s.report.unsupported.push(item(d, reasonOf(err), id))
    return
  }
  if (s.options !== undefined && !s.optionsPlaced && rule.num >= 901000 && rule.num <= 901999) placeOptions(s, builder, d)
  try {
    builder.add(rule)
  } catch (err) {
    s.report.unsupported.push(item(d, reasonOf(err), id))
    return
  }
  // A SecRuleRemove* loaded earlier dropped it (counted in the builder's removed).
  if (builder.get(rule.id) !== rule) return
  s.specs.set(rule.id, spec)
  if (t.partial.length > 0) s.report.partial.push(item(d, t.partial.join('; '), rule.id))
  s.report.loaded++
}

function placeOptions (s: LoaderState, builder: RuleSetBuilder, d: Directive): void {
  s.optionsPlaced = true
  const setvars = crsSetVars(s.options as CrsOptions)
  if (setvars.length === 0) return
  builder.add(compileRule({
    id: CRS_OPTIONS_RULE_ID,
    phase: 1,
    file: `${d.loc.file} (crs options)`,
    line: d.loc.line,
    operator: { name: 'unconditionalMatch' },
    disruptive: 'pass',
    log: false,
    setvars,
    tags: ['waf-rules-crs-options']
  }))
}

function reasonOf (err: unknown): string {
  if (err instanceof RuleLoadError) return `${err.field}: ${err.reason}`
  return (err as Error).message
}

function inherited (s: LoaderState, phase: number): Inherited {
  return { log: s.logDefault[phase] }
}

function defaultAction (s: LoaderState, builder: RuleSetBuilder, d: DefaultActionDirective): void {
  let phase = 2
  let disruptive: Exclude<Disruptive, 'block'> | undefined
  let status: number | undefined
  let log: boolean | undefined
  for (const a of d.actions) {
    if (a.name === 'phase') phase = PHASE_NAMES[(a.value ?? '').toLowerCase()] ?? Number(a.value)
    else if (a.name === 'pass' || a.name === 'deny' || a.name === 'drop' || a.name === 'allow') disruptive = a.name
    else if (a.name === 'status') status = Number(a.value)
    else if (a.name === 'log') log = true
    else if (a.name === 'nolog') log = false
    else if (a.name === 'block') {
      s.report.ignored.push(item(d, 'SecDefaultAction cannot be block'))
      return
    }
  }
  if (!Number.isInteger(phase) || phase < 1 || phase > 5) {
    s.report.ignored.push(item(d, `SecDefaultAction: invalid phase "${phase}"`))
    return
  }
  if (log !== undefined) s.logDefault[phase] = log
  if (disruptive !== undefined) {
    const def: { disruptive: Exclude<Disruptive, 'block'>, status?: number } = { disruptive }
    if (status !== undefined) def.status = status
    builder.setDefaultAction(phase as Phase, def)
  }
}

function specsIn (s: LoaderState, ids: IdRange[]): Array<[string, RuleSpec]> {
  return [...s.specs].filter(([id]) => inRanges(Number(id), ids))
}

/** Recompiles an updated spec in place; an update the engine rejects is reported and not applied. */
function rewrite (s: LoaderState, builder: RuleSetBuilder, d: Directive, id: string, next: RuleSpec): void {
  try {
    builder.replace(id, compileRule(next))
    s.specs.set(id, next)
  } catch (err) {
    s.report.ignored.push(item(d, `update of rule ${id} not applied: ${reasonOf(err)}`, id))
  }
}

function targetInputs (s: LoaderState, d: Directive, text: string): TargetInput[] | undefined {
  const v = parseVariables(text)
  if (v.error !== undefined) {
    s.report.ignored.push(item(d, `invalid target list "${text}": ${v.error}`))
    return undefined
  }
  return v.variables.map(x => {
    const t: TargetInput = { collection: x.collection }
    if (x.key !== undefined) t.key = x.key
    if (x.keyIsRegex) t.keyIsRegex = true
    if (x.count) t.count = true
    if (x.exclude) t.exclude = true
    return t
  })
}

/** The rules an update or removal selects: by id range, or by a tag or msg pattern. */
function selector (s: LoaderState, d: UpdateTargetDirective | RemoveDirective): ((id: string, spec: RuleSpec) => boolean) | undefined {
  if (d.by === 'id') return id => inRanges(Number(id), d.ids)
  let re: Regex
  try {
    re = compileRegex(d.pattern ?? '')
  } catch (err) {
    s.report.ignored.push(item(d, `invalid pattern "${d.pattern ?? ''}": ${(err as Error).message}`))
    return undefined
  }
  return d.by === 'tag' ? (_id, spec) => (spec.tags ?? []).some(t => re.test(t)) : (_id, spec) => spec.msg !== undefined && re.test(spec.msg)
}

function directiveName (d: UpdateTargetDirective): string {
  return `SecRuleUpdateTargetBy${d.by === 'id' ? 'Id' : d.by === 'tag' ? 'Tag' : 'Msg'}`
}

function updateTarget (s: LoaderState, builder: RuleSetBuilder, d: UpdateTargetDirective): void {
  const select = selector(s, d)
  if (select === undefined) return
  const added = targetInputs(s, d, d.variables.map(v => v.raw).join('|'))
  if (added === undefined) return
  const replaced = d.replaced === undefined ? undefined : targetInputs(s, d, d.replaced.map(v => v.raw).join('|'))
  const apply = (spec: RuleSpec): RuleSpec => {
    let targets = [...(spec.targets ?? [])] as TargetInput[]
    if (replaced !== undefined) targets = targets.filter(t => !replaced.some(r => sameTarget(r, t)))
    targets.push(...added)
    return { ...spec, targets }
  }
  const specs = [...s.specs].filter(([id, spec]) => select(id, spec))
  for (const [id, spec] of specs) rewrite(s, builder, d, id, apply(spec))
  // Rules loaded later get it too; a report item says when it found nothing at all.
  let applied = specs.length
  s.updates.push((id, spec) => {
    if (!select(id, spec)) return undefined
    applied++
    return apply(spec)
  })
  s.pendingChecks.push(() => {
    if (applied === 0) s.report.ignored.push(item(d, `${directiveName(d)}: no loaded rule matches`))
  })
}

function sameTarget (a: TargetInput, b: TargetInput): boolean {
  return a.collection === b.collection && a.key === b.key && (a.keyIsRegex === true) === (b.keyIsRegex === true) &&
    (a.count === true) === (b.count === true) && (a.exclude === true) === (b.exclude === true)
}

function updateAction (s: LoaderState, builder: RuleSetBuilder, d: UpdateActionDirective): void {
  const fake: SecActionDirective = { kind: 'action', actions: d.actions.filter(a => a.name !== 'id' && a.name !== 'phase'), loc: d.loc }
  const t = translateRule(fake, () => ({ log: undefined }))
  if (t.spec === undefined) {
    s.report.ignored.push(item(d, `SecRuleUpdateActionById not applied: ${t.unsupported as string}`))
    return
  }
  const u = t.spec
  const resetTransforms = d.actions.some(a => a.name === 't' && a.value?.toLowerCase() === 'none')
  const disruptive = d.actions.some(a => ['deny', 'drop', 'block', 'pass', 'allow'].includes(a.name))
  const apply = (spec: RuleSpec): RuleSpec => {
    const next: RuleSpec = { ...spec }
    for (const k of ['msg', 'logdata', 'severity', 'status', 'log', 'capture', 'multiMatch', 'skipAfter', 'skip'] as const) {
      if (u[k] !== undefined) (next as Record<string, unknown>)[k] = u[k]
    }
    if (disruptive) next.disruptive = u.disruptive
    if (u.transforms !== undefined) next.transforms = resetTransforms ? u.transforms : [...(spec.transforms ?? []), ...u.transforms]
    if (u.tags !== undefined) {
      next.tags = [...(spec.tags ?? []), ...u.tags]
      next.detectType = u.detectType
    }
    if (u.setvars !== undefined) next.setvars = [...(spec.setvars ?? []), ...u.setvars]
    if (u.ctls !== undefined) next.ctls = [...(spec.ctls ?? []), ...u.ctls]
    return next
  }
  const specs = specsIn(s, d.ids)
  for (const [id, spec] of specs) rewrite(s, builder, d, id, apply(spec))
  let applied = specs.length
  s.updates.push((id, spec) => {
    if (!inRanges(Number(id), d.ids)) return undefined
    applied++
    return apply(spec)
  })
  s.pendingChecks.push(() => {
    if (applied === 0) s.report.ignored.push(item(d, 'SecRuleUpdateActionById: no loaded rule has this id'))
  })
}

function remove (s: LoaderState, builder: RuleSetBuilder, d: RemoveDirective): void {
  const select = selector(s, d)
  if (select === undefined) return
  const match = (r: CompiledRule): boolean => {
    const spec = s.specs.get(r.id)
    // A rule from another format (the YAML defaults) has no spec: its compiled tags and msg serve.
    return select(r.id, spec ?? { tags: r.tags, msg: r.msg?.source, file: r.file })
  }
  const gone: string[] = []
  // Rules loaded later (of any format) are dropped as they are added.
  builder.remove(r => {
    if (!match(r)) return false
    gone.push(r.id)
    return true
  }, true)
  for (const id of gone) s.specs.delete(id)
}

function config (s: LoaderState, builder: RuleSetBuilder, d: ConfigDirective): void {
  const name = d.name.toLowerCase()
  if (name === 'include' || name === 'includeoptional') return include(s, builder, d, name === 'includeoptional')
  const response = responseDirective(builder, name, d.args)
  if (response === '') return
  if (response !== undefined) throw new DirectiveError(d, response)
  const outcome = applyConfigDirective(d, builder.settings)
  if (name === 'secruleengine') s.report.ruleEngine = d.args[0]
  if (outcome !== undefined) s.report.notices.push(item(d, `${d.name} ${d.args.join(' ')}: ${outcome.notice}`))
}

/** `Include path` / `IncludeOptional path`: relative to the including file; `*` in the last part. */
function include (s: LoaderState, builder: RuleSetBuilder, d: ConfigDirective, optional: boolean): void {
  const arg = d.args[0]
  if (arg === undefined) {
    s.report.ignored.push(item(d, `${d.name} needs a path`))
    return
  }
  const path = isAbsolute(arg) ? arg : resolve(dirname(d.loc.file), arg)
  let files: string[]
  try {
    files = expand(path)
  } catch (err) {
    if (!optional) s.report.ignored.push(item(d, `${d.name} ${arg}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`))
    return
  }
  if (files.length === 0 && !optional) s.report.ignored.push(item(d, `${d.name} ${arg}: no file matches`))
  for (const f of files) {
    if (s.including.has(f)) {
      s.report.ignored.push(item(d, `${d.name} ${arg}: ${f} includes itself`))
      continue
    }
    s.including.add(f)
    try {
      loadText(s, builder, f, readFileSync(f, 'utf8'))
    } finally {
      s.including.delete(f)
    }
  }
}

function expand (path: string): string[] {
  const name = basename(path)
  if (!name.includes('*') && !name.includes('?')) {
    return statSync(path).isDirectory() ? readdirSync(path).sort().map(n => join(path, n)) : [path]
  }
  const re = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
  const dir = dirname(path)
  return readdirSync(dir).filter(n => re.test(n)).sort().map(n => join(dir, n))
}
