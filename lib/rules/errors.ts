/**
 * A rule that cannot be loaded. The message always names the file, the rule id and the field,
 * so that a broken rule in a folder of hundreds is found at once:
 * `rules/custom.yaml: rule 100101: pattern: invalid perl operator: (?=`.
 */
export class RuleLoadError extends Error {
  override readonly name = 'RuleLoadError'

  constructor (
    /** The rule file, or a label such as `<inline>` for rules given in code. */
    readonly file: string,
    /** The rule id, or undefined when the rule has none (that can be the error itself). */
    readonly ruleId: string | undefined,
    /** The field at fault: `id`, `targets`, `transforms`, `operator`, `pattern`, `action`… */
    readonly field: string,
    readonly reason: string,
    /** 1-based line in the file, when the loader knows it. */
    readonly line?: number
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: rule ${ruleId === undefined ? '(no id)' : ruleId}: ${field}: ${reason}`)
  }
}

/** Where a rule comes from, threaded through compilation for error messages. */
export interface RuleOrigin {
  file: string
  line?: number
  ruleId: string | undefined
}

export function ruleError (origin: RuleOrigin, field: string, reason: string): RuleLoadError {
  return new RuleLoadError(origin.file, origin.ruleId, field, reason, origin.line)
}
