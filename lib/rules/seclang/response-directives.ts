import type { RuleSetBuilder } from '../ruleset.js'
import type { ResponseSettings } from '../response.js'

/**
 * The SecLang directives that govern response inspection: SecResponseBodyAccess On|Off,
 * SecResponseBodyMimeType (the first one replaces the default list, later ones add to it, as in
 * ModSecurity), SecResponseBodyMimeTypesClear, SecResponseBodyLimit N and
 * SecResponseBodyLimitAction ProcessPartial|Reject. What the files set is kept per builder; the
 * rules plugin's own options (`limits.responseBodyBytes`, `responseBodyTypes`) win over it.
 */

interface ResponseDirectiveState {
  settings: Partial<Omit<ResponseSettings, 'types'>> & { types?: Set<string> }
}

const states = new WeakMap<RuleSetBuilder, ResponseDirectiveState>()

function stateOf (builder: RuleSetBuilder): ResponseDirectiveState {
  let s = states.get(builder)
  if (s === undefined) states.set(builder, s = { settings: {} })
  return s
}

/** The response settings the SecLang files loaded into this builder set. */
export function secLangResponseSettings (builder: RuleSetBuilder): Partial<ResponseSettings> {
  return { ...stateOf(builder).settings }
}

const NAMES = new Set(['secresponsebodyaccess', 'secresponsebodymimetype', 'secresponsebodymimetypesclear', 'secresponsebodylimit', 'secresponsebodylimitaction'])

/**
 * Applies a response directive (lower-cased `name`). Returns undefined when it is not one, '' when
 * applied, or why it was not (an invalid argument: the directive is reported, and ignored).
 */
export function responseDirective (builder: RuleSetBuilder, name: string, args: readonly string[]): string | undefined {
  if (!NAMES.has(name)) return undefined
  const s = stateOf(builder).settings
  const arg = args[0] ?? ''
  switch (name) {
    case 'secresponsebodyaccess': {
      const v = arg.toLowerCase()
      if (v !== 'on' && v !== 'off') return `expects On or Off, not "${arg}"`
      s.bodyAccess = v === 'on'
      return ''
    }
    case 'secresponsebodymimetype': {
      if (args.length === 0) return 'expects one or more media types'
      s.types ??= new Set()
      for (const a of args) for (const t of a.split(/\s+/)) if (t.length > 0) s.types.add(t.toLowerCase())
      return ''
    }
    case 'secresponsebodymimetypesclear':
      s.types = new Set()
      return ''
    case 'secresponsebodylimit': {
      const n = Number(arg)
      if (!/^\d+$/.test(arg) || n < 1 || !Number.isSafeInteger(n)) return `expects a number of bytes >= 1, not "${arg}"`
      s.bodyBytes = n
      return ''
    }
    default: {
      const v = arg.toLowerCase()
      if (v !== 'processpartial' && v !== 'reject') return `expects ProcessPartial or Reject, not "${arg}"`
      s.limitAction = v === 'reject' ? 'Reject' : 'ProcessPartial'
      return ''
    }
  }
}
