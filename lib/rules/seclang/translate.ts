import type { RuleSpec, TargetInput } from '../compile.js'
import { getCollection } from '../collections.js'
import type { Disruptive } from '../model.js'
import { getOperator } from '../operators/index.js'
import type { ActionRef, SecActionDirective, SecRuleDirective, VariableRef } from './ast.js'
import { XML_PATHS } from './collections.js'

/**
 * Translates one parsed SecRule (with its chain) or SecAction into the engine's `RuleSpec`,
 * deciding what the engine can run:
 * - a construct the engine lacks and whose absence could only make the rule match less (a
 *   target it cannot read, a persistent-collection setvar, an audit-log ctl) is dropped and
 *   noted in `partial`;
 * - a construct without which the rule would mean something else (an unknown operator or
 *   action, a redirect, exec, a rule left with no target) makes the whole rule `unsupported`.
 * Either way the reason is reported; nothing is dropped silently. Actions that only shape
 * ModSecurity's audit log (`auditlog`, `sanitiseArg` …) are counted in `ignoredActions`.
 */
export interface Translation {
  spec?: RuleSpec
  unsupported?: string
  partial: string[]
  ignoredActions: string[]
}

/** What a rule inherits from the SecDefaultAction of its phase. */
export interface Inherited {
  log: boolean | undefined
}

const PHASE_NAMES: Record<string, number> = { request: 2, response: 4, logging: 5 }

/** Audit-log and debug actions: no effect on detection here. */
const AUDIT_ONLY = new Set(['auditlog', 'noauditlog', 'sanitisearg', 'sanitisematched', 'sanitisematchedbytes',
  'sanitiserequestheader', 'sanitiseresponseheader', 'xmlns', 'rev', 'maturity', 'accuracy'])
/** Actions on persistent collections, which this engine does not keep. */
const PERSISTENT = new Set(['initcol', 'expirevar', 'setenv', 'setsid', 'setuid', 'setrsc', 'deprecatevar'])
/** Actions whose absence would change what the rule does. */
const REFUSED: Record<string, string> = {
  exec: 'exec runs an external program, which this engine never does',
  redirect: 'redirect is a disruptive action this engine does not have',
  proxy: 'proxy is a disruptive action this engine does not have',
  pause: 'pause is not supported',
  append: 'append edits the response body, which is not inspected',
  prepend: 'prepend edits the response body, which is not inspected'
}
const CTL_SUPPORTED = new Set(['ruleremovebyid', 'ruleremovebytag', 'ruleremovetargetbyid', 'ruleremovetargetbytag', 'ruleengine'])
/** ctls that only tune what ModSecurity itself parses or logs; here bodies are parsed by Content-Type and REQUEST_BODY is always set. */
const CTL_IGNORED = new Set(['auditengine', 'auditlogparts', 'forcerequestbodyvariable', 'requestbodyprocessor',
  'requestbodyaccess', 'requestbodylimit', 'responsebodyaccess', 'responsebodylimit', 'debugloglevel', 'hashengine',
  'hashenforcement', 'parsexmlintoargs'])
const DETECT_TYPES: Record<string, string> = {
  'attack-sqli': 'sqli',
  'attack-xss': 'xss',
  'attack-lfi': 'lfi',
  'attack-rfi': 'rfi',
  'attack-rce': 'rce',
  'attack-php': 'php',
  'attack-reputation-scanner': 'scanner',
  'attack-reputation-scripting': 'scanner',
  'attack-reputation-crawler': 'scanner',
  'attack-protocol': 'protocol',
  'attack-multipart-header': 'protocol'
}

class Unsupported extends Error {}

export function translateRule (d: SecRuleDirective | SecActionDirective, inherited: (phase: number) => Inherited): Translation {
  const partial: string[] = []
  const ignoredActions: string[] = []
  try {
    const spec = translateLink(d, partial, ignoredActions, false)
    const inh = inherited(spec.phase ?? 2)
    if (spec.log === undefined && inh.log !== undefined) spec.log = inh.log
    return { spec, partial, ignoredActions }
  } catch (err) {
    if (err instanceof Unsupported) return { unsupported: err.message, partial, ignoredActions }
    throw err
  }
}

function translateLink (d: SecRuleDirective | SecActionDirective, partial: string[], ignored: string[], link: boolean): RuleSpec {
  const spec: RuleSpec = { file: d.loc.file, line: d.loc.line }
  applyActions(spec, d.actions, partial, ignored, link)
  if (d.kind === 'action') {
    spec.operator = { name: 'unconditionalMatch' }
    return spec
  }
  spec.targets = translateTargets(d.variables, partial)
  spec.operator = translateOperator(d)
  if (d.chained !== undefined) {
    const chain = translateLink(d.chained, partial, ignored, true)
    // The engine applies ctls when the whole chain has matched, from the head: a link's
    // ctls move there (the CRS writes them on the last link, where that is the same thing).
    if (chain.ctls !== undefined) {
      spec.ctls = [...(spec.ctls ?? []), ...chain.ctls]
      delete chain.ctls
    }
    spec.chain = chain
  }
  return spec
}

function translateTargets (vars: VariableRef[], partial: string[]): TargetInput[] {
  const out: TargetInput[] = []
  let positive = 0
  const dropped: string[] = []
  for (const v of vars) {
    const col = getCollection(v.collection)
    let why: string | undefined
    if (col === undefined) why = 'not available'
    else if (v.collection === 'XML' && (v.key === undefined || !XML_PATHS.has(v.key))) why = 'XPath other than /* and //@* is not supported'
    if (why !== undefined) {
      // An exclusion from a collection that does not exist excludes nothing.
      if (!v.exclude) dropped.push(`${v.raw} (${why})`)
      continue
    }
    const t: TargetInput = { collection: v.collection }
    if (v.key !== undefined) t.key = v.key
    if (v.keyIsRegex) t.keyIsRegex = true
    if (v.count) t.count = true
    if (v.exclude) t.exclude = true
    else positive++
    out.push(t)
  }
  if (positive === 0) throw new Unsupported(`no supported target: ${dropped.join(', ')}`)
  if (dropped.length > 0) partial.push(`targets not inspected: ${dropped.join(', ')}`)
  return out
}

function translateOperator (d: SecRuleDirective): RuleSpec['operator'] {
  const { name, argument, negated } = d.operator
  if (getOperator(name) === undefined) throw new Unsupported(`operator @${name} is not supported`)
  return { name, argument, negated }
}

function applyActions (spec: RuleSpec, actions: ActionRef[], partial: string[], ignored: string[], link: boolean): void {
  const transforms: string[] = []
  const tags: string[] = []
  const setvars: string[] = []
  const ctls: string[] = []
  const meta: Record<string, string> = {}
  for (const a of actions) {
    const v = a.value ?? ''
    switch (a.name) {
      case 'id':
        if (!link) spec.id = v
        break
      case 'phase': {
        const p = PHASE_NAMES[v.toLowerCase()] ?? Number(v)
        if (!link) spec.phase = p
        break
      }
      case 't': transforms.push(v); break
      case 'chain': break
      case 'capture': spec.capture = true; break
      case 'multimatch': spec.multiMatch = true; break
      case 'deny': case 'drop': case 'block': case 'pass':
        setDisruptive(spec, a.name, link)
        break
      case 'allow':
        setDisruptive(spec, 'allow', link)
        if (v.toLowerCase() === 'phase') spec.allowScope = 'phase'
        break
      case 'status': spec.status = Number(v); break
      case 'log': spec.log = true; break
      case 'nolog': spec.log = false; break
      case 'msg': spec.msg = v; break
      case 'logdata': spec.logdata = v; break
      case 'severity': spec.severity = v; break
      case 'tag': tags.push(v); break
      case 'ver': meta.ver = v; break
      case 'skipafter': spec.skipAfter = v; break
      case 'skip': spec.skip = Number(v); break
      case 'setvar': {
        const col = /^\s*!?\s*([A-Za-z_]+)\./.exec(v)?.[1]?.toUpperCase()
        if (col === 'TX') setvars.push(v)
        else partial.push(`setvar:${v} dropped (persistent collections are not kept)`)
        break
      }
      case 'ctl': {
        const name = v.slice(0, v.indexOf('=') === -1 ? v.length : v.indexOf('=')).trim().toLowerCase()
        if (CTL_SUPPORTED.has(name)) ctls.push(v)
        else if (CTL_IGNORED.has(name)) partial.push(`ctl:${v} ignored`)
        else throw new Unsupported(`ctl:${v} is not supported`)
        break
      }
      default:
        if (AUDIT_ONLY.has(a.name)) {
          if (a.name === 'rev' || a.name === 'maturity' || a.name === 'accuracy') meta[a.name] = v
          else ignored.push(a.name)
        } else if (PERSISTENT.has(a.name)) {
          partial.push(`${a.name}:${v} dropped (persistent collections are not kept)`)
        } else if (REFUSED[a.name] !== undefined) {
          throw new Unsupported(REFUSED[a.name])
        } else {
          throw new Unsupported(`unknown action "${a.name}"`)
        }
    }
  }
  if (transforms.length > 0) spec.transforms = transforms
  if (setvars.length > 0) spec.setvars = setvars
  if (ctls.length > 0) spec.ctls = ctls
  if (!link) {
    if (tags.length > 0) spec.tags = tags
    if (Object.keys(meta).length > 0) spec.meta = meta
    spec.detectType = detectTypeOf(tags)
    if (spec.detectType === 'scanner') spec.bot = true
  }
}

function setDisruptive (spec: RuleSpec, d: Disruptive, link: boolean): void {
  // Disruptive actions belong to the head of a chain; ModSecurity ignores them on links.
  if (!link) spec.disruptive = d
}

export function detectTypeOf (tags: readonly string[]): string {
  for (const t of tags) {
    const k = DETECT_TYPES[t.toLowerCase()]
    if (k !== undefined) return k
  }
  for (const t of tags) {
    const m = /^attack-([a-z0-9-]+)$/i.exec(t)
    if (m !== null) return m[1]!.toLowerCase()
  }
  return 'custom'
}
