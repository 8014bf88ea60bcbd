import type { Macro, MacroRef } from './model.js'

const MACRO = /%\{([A-Za-z_][A-Za-z0-9_]*)(?:[.:]([^}]*))?\}/g

/**
 * Compiles `text` with `%{COLLECTION.key}` / `%{VAR}` references into parts, once at load time.
 * Collection names are upper-cased; keys keep their case here and are looked up as each
 * collection wants (TX keys are case-insensitive: by `lkey`, lower-cased here once instead of
 * on every expansion).
 */
export function compileMacro (text: string): Macro {
  const parts: Array<string | MacroRef> = []
  let last = 0
  MACRO.lastIndex = 0
  for (let m = MACRO.exec(text); m !== null; m = MACRO.exec(text)) {
    if (m.index > last) parts.push(text.slice(last, m.index))
    parts.push({ collection: m[1].toUpperCase(), key: m[2], lkey: m[2] === undefined ? undefined : m[2].toLowerCase() })
    last = m.index + m[0].length
  }
  if (last < text.length) parts.push(text.slice(last))
  return { source: text, parts }
}

/** Undefined when `text` has no macro, so callers can keep a constant as a plain string. */
export function compileMacroIfAny (text: string): Macro | undefined {
  return text.includes('%{') ? compileMacro(text) : undefined
}

/** A macro without references, for constant text. */
export function literalMacro (text: string): Macro {
  return { source: text, parts: text.length === 0 ? [] : [text] }
}

export function isConstant (m: Macro): boolean {
  return m.parts.every(p => typeof p === 'string')
}

/** Expands a macro; `resolve` answers one reference (the empty string when it is unset). */
export function expandMacro (m: Macro, resolve: (ref: MacroRef) => string): string {
  const parts = m.parts
  if (parts.length === 1 && typeof parts[0] === 'string') return parts[0]
  let out = ''
  for (const p of parts) out += typeof p === 'string' ? p : resolve(p)
  return out
}
