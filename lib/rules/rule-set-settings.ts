/** What the engine does with a match: deny (block), log only (detect), or run no rule (off). */
export type EngineMode = 'block' | 'detect' | 'off'

/**
 * Engine settings a rule set brings with it (SecLang's SecRuleEngine, SecRequestBody*,
 * SecArgumentsLimit …), as opposed to the plugin's options. Each is undefined when no rule file
 * set it; `where` says which file and line did, for the load report and error messages.
 */
export interface RuleSetSettings {
  /** SecRuleEngine: the most the rule set may do (`detect`: log, never deny; `off`: run no rule). */
  mode?: { value: EngineMode, where: string }
  /** SecRequestBodyAccess Off: phase 2 sees no body (REQUEST_BODY, ARGS_POST and FILES are empty). */
  requestBodyAccess?: boolean
  /** SecRequestBodyLimit: bytes of any body inspected. */
  bodyLimit?: number
  /** SecRequestBodyNoFilesLimit: bytes of a body without files (anything but multipart) inspected. */
  noFilesLimit?: number
  /** SecRequestBodyLimitAction: `reject` answers 413 (when the rule set may deny), `partial` inspects the first bytes. */
  bodyLimitAction?: 'reject' | 'partial'
  /** SecArgumentsLimit: arguments inspected. */
  argsLimit?: number
  /** SecComponentSignature values, in load order (the modsec-json producer's components). */
  components: string[]
}

export function emptySettings (): RuleSetSettings {
  return { components: [] }
}

const CAUTION: Record<EngineMode, number> = { off: 0, detect: 1, block: 2 }

/**
 * The mode a request runs in: the more cautious of the request's (plugin option or per-domain
 * policy) and the rule set's (SecRuleEngine). DetectionOnly never denies, whatever the plugin
 * says; SecRuleEngine On lets the rules deny where the plugin's mode does.
 */
export function cautiousMode (request: EngineMode, ruleSet: EngineMode | undefined): EngineMode {
  if (ruleSet === undefined) return request
  return CAUTION[ruleSet] < CAUTION[request] ? ruleSet : request
}
