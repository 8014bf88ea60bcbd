import type { Regex } from './regex.js'
import type { DetectionMemo } from './detection-memo.js'

/**
 * The compiled rule model: what every rule format (YAML / JSON here, SecLang in ./seclang)
 * compiles into, and what the engine runs. It is a subset of ModSecurity's model, kept close
 * to it so that SecLang compiles without translation loss.
 *
 * A rule (`CompiledRule`)
 * - has a numeric `id` (chain links have none), a `phase` (1 = request headers, 2 = request body;
 *   3–5 load but the request-side engine never runs them), and its source `file`/`line`;
 * - selects values with `targets`: `{ collection, key | keyPattern, count }` (`ARGS`,
 *   `ARGS:q`, `ARGS:/^id_/`, `&ARGS`) minus `exclusions` (`!ARGS:q`, which remove a key from
 *   every target of that collection in the rule). A rule with no target runs once on `''`
 *   (SecAction);
 * - transforms each value through `transforms`, a chain of named transformations (registry:
 *   ./transformations); values are cached per request per chain prefix;
 * - tests it with `operator` (registry: ./operators), inverted when `negated`;
 * - on a match runs its non-disruptive actions once per matched value (`setvars`,
 *   `capture` into TX.0–TX.9, `hooks`), then, when the whole `chain` matched too, its flow
 *   (`skipAfter`, `skip`) and disruptive action (`deny` / `block` / `pass` / `allow` / `drop`)
 *   and `ctls`; a match is recorded (attack log) unless `log` is false.
 *
 * A rule set (`RuleSetData`, built with `RuleSetBuilder` in ./ruleset.ts) is the ordered list of
 * rules and `SecMarker`s; `skipAfter: NAME` jumps past the marker NAME in the current phase.
 * `block` resolves to the set's `defaultActions[phase]` (SecDefaultAction), `pass` when unset.
 *
 * The transaction (./transaction.ts) holds per-request state: the collections built from the
 * request (./collections.ts), TX (keys lower-cased), MATCHED_VAR(S)/MATCHED_VAR_NAME, the rules
 * and targets removed by `ctl` or by exclusions, the effective engine mode.
 *
 * Macros (`%{tx.foo}`, `%{MATCHED_VAR}`, `%{REQUEST_HEADERS.host}`, `%{rule.id}`) are compiled
 * once into `Macro` parts and expanded against the transaction.
 *
 * Extension points for other formats:
 * - `registerOperator(name, factory)` and `registerTransformation(name, fn)`;
 * - `registerCollection(def)` for variables the request model does not build;
 * - `compileRule(spec)` (./compile.ts) validates a plain `RuleSpec` into a `CompiledRule`,
 *   throwing `RuleLoadError`; a loader may also build `CompiledRule` objects itself and
 *   `RuleSetBuilder.add()` them;
 * - `hooks`: extra non-disruptive actions, run per matched value.
 */

export type Phase = 1 | 2 | 3 | 4 | 5

export const SEVERITIES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'] as const
export type Severity = typeof SEVERITIES[number]

/** What a rule does to the request when it (and its chain) matched. */
export type Disruptive = 'deny' | 'block' | 'pass' | 'allow' | 'drop'

/** The three actions of the YAML format, also the action of an attack log entry. */
export type RuleAction = 'deny' | 'log' | 'pass'

/** `ARGS`, `ARGS:q`, `ARGS:/^id_/`, `&ARGS`. */
export interface TargetSpec {
  /** Upper-cased collection name. */
  collection: string
  /** One key. Lower-cased when the collection's keys are case-insensitive. */
  key?: string
  /** Keys matching this pattern (tested on the lower-cased key when keys are case-insensitive). */
  keyPattern?: Regex
  /** `&VAR`: the value is the number of selected values. */
  count: boolean
}

/** `!ARGS:q`: removes matching keys from every target of `collection` in the rule. */
export interface TargetExclusion {
  collection: string
  key?: string
  keyPattern?: Regex
}

/** A transformation: a pure, linear-time function of a byte string. */
export type TransformFn = (value: string) => string

/**
 * A node of the transformation trie. A rule's chain is its last node; a chain shares the
 * cached results of every prefix it has in common with other chains.
 */
export interface TransformNode {
  /** Unique per rule set; the root (no transformation) is 0. */
  readonly id: number
  readonly name: string
  readonly fn: TransformFn
  readonly parent: TransformNode | undefined
  /** The names from the root, as `urlDecodeUni,lowercase`. */
  readonly key: string
  /**
   * When defined, a value with none of these characters comes out of the whole chain (root to
   * this node) unchanged, so the chain need not run: most clean values skip every call.
   */
  readonly trigger: RegExp | undefined
  /** The same promise as `trigger`, as bits of ./chain.ts's character classes (undefined: none). */
  readonly triggerBits: number | undefined
  /**
   * Below the first level: the node of this transformation alone, which gives the same result
   * when the chain before it left the value as it was (a value is then transformed once for
   * every chain that starts with such a no-op: `lowercase` and `htmlEntityDecode,lowercase`).
   */
  readonly solo: TransformNode | undefined
}

/** What an operator may ask of the transaction while matching. */
export interface MatchContext {
  /** True when the rule has `capture`: the operator should call `setCapture`. */
  readonly capture: boolean
  /** Sets TX.n (0–9) to a captured value. */
  setCapture(index: number, value: string): void
  /** Expands a macro against the current transaction. */
  expand(macro: Macro): string
  /** The text the operator matched (set by operators that know it), for the payload window. */
  matched: string | undefined
  /**
   * Values up to this length fit a payload whole, so an operator for which finding the matched
   * text costs extra (rx: exec after test) may skip it. Undefined: always report it.
   */
  readonly matchedFrom?: number | undefined
  /** libinjection's verdicts remembered across requests (the result cache's), when on. */
  readonly detections?: DetectionMemo | undefined
}

export interface Operator {
  readonly name: string
  readonly argument: string
  /** Whether `value` matches. Negation is the engine's job, not the operator's. */
  match(value: string, ctx: MatchContext): boolean
  /**
   * An RE2 pattern matching every value this operator matches (a superset is fine), so the
   * rule can join its group's `RE2.Set` prefilter. Undefined for operators that cannot say
   * (numeric comparisons, arguments with macros, detectors).
   */
  readonly prefilter?: string
}

export interface OperatorEnv {
  file: string
  ruleId: string | undefined
  /** The directory of the rule file, for operators that read files beside it (pmFromFile). */
  dir: string
  /** Compiles text with `%{…}` macros; undefined when the text has none. */
  macro(text: string): Macro | undefined
}

export type OperatorFactory = (argument: string, env: OperatorEnv) => Operator

/** `%{TX.foo}`: a collection and an optional key. */
export interface MacroRef {
  collection: string
  key: string | undefined
  /** The key lower-cased, made at load: TX and other caseless collections are read by it on every expansion. */
  lkey: string | undefined
}

/** Text with macros, compiled: literal strings and references, concatenated on expansion. */
export interface Macro {
  readonly source: string
  readonly parts: ReadonlyArray<string | MacroRef>
}

/** `setvar:tx.name=value`, `=+`, `=-`, `!tx.name` (unset). Only the TX collection exists. */
export interface SetVar {
  collection: 'TX'
  /** The variable name (may contain macros). */
  name: Macro
  /** The name lower-cased, when it has no macro (most do): no expansion per match. */
  key?: string
  op: '=' | '+' | '-' | 'unset'
  value: Macro
}

export interface IdRange { from: number, to: number }

export type Ctl =
  | { kind: 'ruleRemoveById', ids: IdRange[] }
  | { kind: 'ruleRemoveByTag', tag: Regex }
  | { kind: 'ruleRemoveTargetById', ids: IdRange[], target: TargetExclusion }
  | { kind: 'ruleRemoveTargetByTag', tag: Regex, target: TargetExclusion }
  | { kind: 'ruleEngine', mode: 'block' | 'detect' | 'off' }

/** Runs per matched value, after setvars: the extension point for actions the model lacks. */
export type RuleHook = (rule: CompiledRule, tx: HookTransaction) => void

/** What a hook may use of the transaction (see Transaction for the full class). */
export interface HookTransaction {
  getTx(name: string): string | undefined
  setTx(name: string, value: string): void
  expand(macro: Macro): string
}

export interface RuleActions {
  disruptive: Disruptive | undefined
  /** HTTP status of a deny. */
  status: number | undefined
  /** `allow` scope: the rest of the phase, or the rest of the request. */
  allowScope: 'phase' | 'request'
  /** Record a match in the attack log (`nolog` makes it false). */
  log: boolean
  capture: boolean
  /** Run the operator after every transformation, not only on the final value. */
  multiMatch: boolean
  setvars: SetVar[]
  /** Skip every rule of the phase up to the marker of this name. */
  skipAfter: string | undefined
  /** Skip this many following rules (chain links not counted). */
  skip: number
  ctls: Ctl[]
  /** Marks the request as a bot / scanner (request.waf.bot). */
  bot: boolean
  hooks: RuleHook[]
}

export interface CompiledRule {
  readonly kind: 'rule'
  /** The rule id as text; `''` for chain links. */
  readonly id: string
  /** The numeric id, for id ranges; NaN when the id is not a number. */
  readonly num: number
  readonly phase: Phase
  readonly file: string
  readonly line: number | undefined
  readonly targets: TargetSpec[]
  readonly exclusions: TargetExclusion[]
  readonly transforms: TransformNode
  readonly operator: Operator
  readonly negated: boolean
  readonly actions: RuleActions
  readonly msg: Macro | undefined
  readonly logdata: Macro | undefined
  readonly severity: Severity | undefined
  readonly tags: string[]
  /** sqli xss lfi rfi rce php scanner protocol custom… */
  readonly detectType: string
  /** Free metadata (`ver`, `rev`, `accuracy`, `maturity`, `paranoia`…). */
  readonly meta: Readonly<Record<string, string>>
  /** The next link of a chain: it must match too. */
  readonly chain: CompiledRule | undefined
  /**
   * A phase-1 rule that also runs in phase 2 over the body's arguments (ARGS → ARGS_POST,
   * ARGS_NAMES → ARGS_POST_NAMES, XML and REQUEST_BODY_TEXT read again; other targets are not re-read). The YAML format sets it, so
   * one rule covers query and body; SecLang rules never have it.
   */
  readonly alsoBody: boolean
}

export interface Marker {
  readonly kind: 'marker'
  readonly name: string
}

export type RuleItem = CompiledRule | Marker

/** SecDefaultAction: what `block` means in a phase. */
export interface DefaultAction {
  disruptive: Exclude<Disruptive, 'block'>
  status?: number
}

export interface RuleSetData {
  /** Rules and markers in load order. */
  readonly items: readonly RuleItem[]
  readonly defaultActions: Readonly<Partial<Record<Phase, DefaultAction>>>
}
