/**
 * SecLang macros: `%{tx.anomaly_score}`, `%{MATCHED_VAR}`, `%{REQUEST_HEADERS.host}`,
 * `%{rule.id}`. A text is compiled once, at load time, into literal and reference parts, so
 * that expanding it per request is a join, never a parse.
 */
export interface MacroRef {
  /** Upper-cased collection or variable name: `TX`, `MATCHED_VAR`, `RULE`. */
  collection: string
  /** Lower-cased key after the dot, if any (`anomaly_score`, `0`, `id`). */
  key?: string
}

export type MacroPart = string | MacroRef

export interface MacroText {
  parts: MacroPart[]
  /** Whether any part is a reference; a constant text expands to `parts[0]` (or ''). */
  dynamic: boolean
}

const MACRO = /%\{([A-Za-z_][A-Za-z0-9_]*)(?:[.:]([^}]*))?\}/g

export function compileMacros (text: string): MacroText {
  const parts: MacroPart[] = []
  let last = 0
  for (const m of text.matchAll(MACRO)) {
    if (m.index > last) parts.push(text.slice(last, m.index))
    const ref: MacroRef = { collection: m[1]!.toUpperCase() }
    if (m[2] !== undefined) ref.key = m[2].toLowerCase()
    parts.push(ref)
    last = m.index + m[0].length
  }
  if (last < text.length) parts.push(text.slice(last))
  return { parts, dynamic: parts.some(p => typeof p !== 'string') }
}

/** Resolves one reference to its value; undefined expands to the empty string, as in ModSecurity. */
export type MacroResolver = (ref: MacroRef) => string | undefined

export function expandMacros (m: MacroText, resolve: MacroResolver): string {
  if (!m.dynamic) return m.parts.length === 0 ? '' : m.parts[0] as string
  let out = ''
  for (const p of m.parts) out += typeof p === 'string' ? p : (resolve(p) ?? '')
  return out
}
