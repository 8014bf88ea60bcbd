/**
 * The syntax tree of a SecLang (ModSecurity / Coraza) rule file: what the text says, before
 * anything is checked against what the engine supports. The parser never throws on a bad
 * directive; it records a diagnostic and goes on, so that one odd line in a large rule set
 * is reported rather than fatal.
 */

export interface SourceLocation {
  file: string
  /** 1-based line of the directive's first physical line. */
  line: number
}

/**
 * One variable of a rule's target list: `ARGS`, `ARGS:q`, `TX:/^foo/`, `!REQUEST_HEADERS:Referer`,
 * `&TX:blocking_paranoia_level`, `XML:/*`.
 */
export interface VariableRef {
  /** The collection name, upper-cased: `ARGS`, `REQUEST_HEADERS`, `TX`. */
  collection: string
  /** The selector after the colon, quotes removed; for a `/regex/` selector, the regex source. */
  key?: string
  /** Whether `key` is a regular expression (written `/…/`). */
  keyIsRegex: boolean
  /** `&VAR`: the rule sees the number of values, not the values. */
  count: boolean
  /** `!VAR:key`: removes the key from the collection for this rule. */
  exclude: boolean
  /** The variable as written, for messages. */
  raw: string
}

export interface OperatorRef {
  /** The operator name without `@` (`rx` when the rule gives a bare pattern). */
  name: string
  /** The argument as written (macros not yet expanded). */
  argument: string
  negated: boolean
  raw: string
}

/** One action of an action list: `id:1`, `t:none`, `setvar:'tx.x=+1'`, `block`. */
export interface ActionRef {
  /** The action name, lower-cased except where SecLang is case-sensitive in the value. */
  name: string
  /** The value after the colon, with its quotes removed; undefined when there is no colon. */
  value?: string
}

export interface SecRuleDirective {
  kind: 'rule'
  variables: VariableRef[]
  operator: OperatorRef
  actions: ActionRef[]
  /** The next rule of a `chain`, when this rule carries the `chain` action. */
  chained?: SecRuleDirective
  loc: SourceLocation
}

export interface SecActionDirective {
  kind: 'action'
  actions: ActionRef[]
  loc: SourceLocation
}

export interface SecMarkerDirective {
  kind: 'marker'
  name: string
  loc: SourceLocation
}

/** `SecRuleUpdateTargetById 942100 "!ARGS:foo"` (optionally with a replaced target); also ByTag / ByMsg. */
export interface UpdateTargetDirective {
  kind: 'updateTarget'
  /** SecRuleUpdateTargetById, ByTag or ByMsg. */
  by: 'id' | 'tag' | 'msg'
  /** Ids and id ranges (`942100`, `942100-942199`) the update applies to (`by` id). */
  ids: IdRange[]
  /** The tag or msg pattern (`by` tag / msg). */
  pattern?: string
  variables: VariableRef[]
  replaced?: VariableRef[]
  loc: SourceLocation
}

/** `SecRuleUpdateActionById 942100 "t:none,severity:WARNING"`. */
export interface UpdateActionDirective {
  kind: 'updateAction'
  ids: IdRange[]
  actions: ActionRef[]
  loc: SourceLocation
}

/** `SecRuleRemoveById`, `SecRuleRemoveByTag`, `SecRuleRemoveByMsg`. */
export interface RemoveDirective {
  kind: 'remove'
  by: 'id' | 'tag' | 'msg'
  ids: IdRange[]
  /** The tag or msg pattern, for `by` tag / msg. */
  pattern?: string
  loc: SourceLocation
}

/** `SecDefaultAction "phase:2,log,auditlog,pass"`. */
export interface DefaultActionDirective {
  kind: 'defaultAction'
  actions: ActionRef[]
  loc: SourceLocation
}

/**
 * Every other directive (`SecRuleEngine`, `SecRequestBodyAccess`, `SecComponentSignature`,
 * `Include` …): name and arguments as written; the compiler decides what it means.
 */
export interface ConfigDirective {
  kind: 'config'
  name: string
  args: string[]
  loc: SourceLocation
}

export type Directive =
  | SecRuleDirective | SecActionDirective | SecMarkerDirective | UpdateTargetDirective
  | UpdateActionDirective | RemoveDirective | DefaultActionDirective | ConfigDirective

export interface IdRange { from: number, to: number }

/** A problem in the text: the directive it concerns is dropped, the rest of the file is not. */
export interface ParseDiagnostic {
  loc: SourceLocation
  message: string
  /** The first characters of the offending directive, for the report. */
  excerpt: string
}

export interface ParsedFile {
  file: string
  directives: Directive[]
  diagnostics: ParseDiagnostic[]
}
