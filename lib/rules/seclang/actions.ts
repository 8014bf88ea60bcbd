import type { ActionRef } from './ast.js'

/**
 * Parses an action list: `id:1,phase:2,t:none,msg:'a, b',setvar:'tx.x=+1',block`.
 * A value may be single-quoted; inside the quotes a backslash escapes the next character
 * (ModSecurity's msre_parse_actions). Blanks around names and unquoted values are dropped.
 */
export function parseActions (text: string): { actions: ActionRef[], error?: string } {
  const actions: ActionRef[] = []
  let i = 0
  const n = text.length
  while (i < n) {
    while (i < n && isSpaceOrComma(text[i]!)) i++
    if (i >= n) break
    const nameStart = i
    while (i < n && text[i] !== ':' && text[i] !== ',') i++
    const name = text.slice(nameStart, i).trim().toLowerCase()
    if (name.length === 0) return { actions, error: `empty action name at "${text.slice(nameStart, nameStart + 30)}"` }
    if (!/^[a-z0-9_]+$/.test(name)) return { actions, error: `invalid action name "${name}"` }
    if (text[i] !== ':') {
      actions.push({ name })
      continue
    }
    i++ // past ':'
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++
    let value = ''
    if (text[i] === "'") {
      i++
      let closed = false
      while (i < n) {
        const c = text[i]!
        if (c === '\\' && i + 1 < n) {
          value += text[i + 1]
          i += 2
          continue
        }
        if (c === "'") {
          closed = true
          i++
          break
        }
        value += c
        i++
      }
      if (!closed) return { actions, error: `unterminated quoted value for action "${name}"` }
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++
      if (i < n && text[i] !== ',') return { actions, error: `unexpected "${text[i]}" after the quoted value of action "${name}"` }
    } else {
      const start = i
      while (i < n && text[i] !== ',') i++
      value = text.slice(start, i).trim()
    }
    actions.push({ name, value })
  }
  return { actions }
}

function isSpaceOrComma (c: string): boolean {
  return c === ',' || c === ' ' || c === '\t' || c === '\n'
}
