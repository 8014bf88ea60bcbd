import type {
  ActionRef, Directive, IdRange, ParseDiagnostic, ParsedFile, SecRuleDirective, SourceLocation, UpdateTargetDirective
} from './ast.js'
import { parseActions } from './actions.js'
import { logicalLines } from './lines.js'
import { parseOperator } from './operator.js'
import { splitWords } from './tokens.js'
import { parseVariables } from './variables.js'

/**
 * Parses the text of one SecLang file into directives. `chain` rules are linked: the rule
 * that carries `chain` gets the next SecRule as `chained`, recursively, and only the head of
 * a chain appears in `directives`. Bad directives become diagnostics; parsing goes on.
 */
export function parseSecLang (source: string, file: string): ParsedFile {
  const directives: Directive[] = []
  const diagnostics: ParseDiagnostic[] = []
  let openChain: SecRuleDirective | undefined
  for (const { text, line } of logicalLines(source)) {
    const loc: SourceLocation = { file, line }
    const fail = (message: string): undefined => { diagnostics.push({ loc, message, excerpt: text.slice(0, 120) }) }
    const { words, error } = splitWords(text)
    if (error !== undefined) { fail(error); continue }
    const name = words[0]!
    const args = words.slice(1)
    const d = directiveOf(name, args, loc, fail)
    if (d === undefined) continue
    if (openChain !== undefined) {
      if (d.kind !== 'rule') {
        fail(`a chained rule must follow the rule at line ${openChain.loc.line}; found ${name}`)
        openChain = undefined
      } else {
        openChain.chained = d
        openChain = hasAction(d.actions, 'chain') ? d : undefined
        continue
      }
    }
    directives.push(d)
    if (d.kind === 'rule' && hasAction(d.actions, 'chain')) openChain = d
  }
  if (openChain !== undefined) {
    diagnostics.push({ loc: openChain.loc, message: 'the file ends inside a chain', excerpt: openChain.operator.raw.slice(0, 120) })
  }
  return { file, directives, diagnostics }
}

function directiveOf (name: string, args: string[], loc: SourceLocation, fail: (m: string) => undefined): Directive | undefined {
  switch (name.toLowerCase()) {
    case 'secrule': {
      if (args.length < 2 || args.length > 3) return fail(`SecRule takes 2 or 3 arguments, got ${args.length}`)
      const v = parseVariables(args[0]!)
      if (v.error !== undefined) return fail(`SecRule variables: ${v.error}`)
      const o = parseOperator(args[1]!)
      if (o.error !== undefined) return fail(`SecRule operator: ${o.error}`)
      const a = parseActions(args[2] ?? '')
      if (a.error !== undefined) return fail(`SecRule actions: ${a.error}`)
      return { kind: 'rule', variables: v.variables, operator: o.operator, actions: a.actions, loc }
    }
    case 'secaction': {
      if (args.length !== 1) return fail(`SecAction takes 1 argument, got ${args.length}`)
      const a = parseActions(args[0]!)
      if (a.error !== undefined) return fail(`SecAction actions: ${a.error}`)
      return { kind: 'action', actions: a.actions, loc }
    }
    case 'secmarker': {
      if (args.length !== 1) return fail(`SecMarker takes 1 argument, got ${args.length}`)
      return { kind: 'marker', name: args[0]!, loc }
    }
    case 'secdefaultaction': {
      if (args.length !== 1) return fail(`SecDefaultAction takes 1 argument, got ${args.length}`)
      const a = parseActions(args[0]!)
      if (a.error !== undefined) return fail(`SecDefaultAction actions: ${a.error}`)
      return { kind: 'defaultAction', actions: a.actions, loc }
    }
    case 'secruleupdatetargetbyid':
    case 'secruleupdatetargetbytag':
    case 'secruleupdatetargetbymsg': {
      if (args.length < 2 || args.length > 3) return fail(`${name} takes 2 or 3 arguments, got ${args.length}`)
      const lname = name.toLowerCase()
      const by = lname.endsWith('id') ? 'id' : lname.endsWith('tag') ? 'tag' : 'msg'
      const ids = by === 'id' ? parseIds(args[0]!) : []
      if (ids === undefined) return fail(`${name}: invalid rule id "${args[0]}"`)
      const v = parseVariables(args[1]!)
      if (v.error !== undefined) return fail(`${name}: ${v.error}`)
      const d: UpdateTargetDirective = { kind: 'updateTarget', by, ids, variables: v.variables, loc }
      if (by !== 'id') d.pattern = args[0]!
      if (args[2] === undefined) return d
      const r = parseVariables(args[2])
      if (r.error !== undefined) return fail(`${name}: ${r.error}`)
      d.replaced = r.variables
      return d
    }
    case 'secruleupdateactionbyid': {
      if (args.length !== 2) return fail(`SecRuleUpdateActionById takes 2 arguments, got ${args.length}`)
      const ids = parseIds(args[0]!)
      if (ids === undefined) return fail(`SecRuleUpdateActionById: invalid rule id "${args[0]}"`)
      const a = parseActions(args[1]!)
      if (a.error !== undefined) return fail(`SecRuleUpdateActionById: ${a.error}`)
      return { kind: 'updateAction', ids, actions: a.actions, loc }
    }
    case 'secruleremovebyid': {
      if (args.length === 0) return fail('SecRuleRemoveById needs at least one id')
      const ids = parseIds(args.join(' '))
      if (ids === undefined) return fail(`SecRuleRemoveById: invalid id list "${args.join(' ')}"`)
      return { kind: 'remove', by: 'id', ids, loc }
    }
    case 'secruleremovebytag':
    case 'secruleremovebymsg': {
      if (args.length !== 1) return fail(`${name} takes 1 argument, got ${args.length}`)
      return { kind: 'remove', by: name.toLowerCase().endsWith('tag') ? 'tag' : 'msg', ids: [], pattern: args[0]!, loc }
    }
    default:
      return { kind: 'config', name, args, loc }
  }
}

/** `942100`, `942100-942199`, or several of them separated by blanks or commas. */
export function parseIds (text: string): IdRange[] | undefined {
  const out: IdRange[] = []
  for (const part of text.split(/[\s,]+/)) {
    if (part.length === 0) continue
    const m = /^(\d+)(?:-(\d+))?$/.exec(part)
    if (m === null) return undefined
    const from = Number(m[1])
    const to = m[2] === undefined ? from : Number(m[2])
    if (to < from) return undefined
    out.push({ from, to })
  }
  return out.length === 0 ? undefined : out
}

function hasAction (actions: ActionRef[], name: string): boolean {
  for (const a of actions) if (a.name === name) return true
  return false
}
