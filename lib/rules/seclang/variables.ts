import type { VariableRef } from './ast.js'

/**
 * Parses a SecRule target list: `ARGS|!ARGS:foo|&TX:x|REQUEST_HEADERS:/^x-/|XML:/*`.
 * A `/regex/` selector may itself contain `|`, so the list is scanned, not split. XML
 * selectors are XPath expressions and run to the next `|`.
 */
export function parseVariables (text: string): { variables: VariableRef[], error?: string } {
  const variables: VariableRef[] = []
  let i = 0
  const n = text.length
  while (i < n) {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++
    const start = i
    let exclude = false
    let count = false
    if (text[i] === '!') { exclude = true; i++ }
    if (text[i] === '&') { count = true; i++ }
    const nameStart = i
    while (i < n && /[A-Za-z0-9_]/.test(text[i]!)) i++
    const collection = text.slice(nameStart, i).toUpperCase()
    if (collection.length === 0) return { variables, error: `expected a variable name at "${text.slice(start, start + 30)}"` }
    let key: string | undefined
    let keyIsRegex = false
    if (text[i] === ':') {
      i++
      if (text[i] === '/' && collection !== 'XML') {
        const end = closingSlash(text, i + 1)
        if (end === -1) return { variables, error: `unterminated /regex/ selector in "${text.slice(start)}"` }
        key = text.slice(i + 1, end)
        keyIsRegex = true
        i = end + 1
      } else if (text[i] === "'") {
        const end = text.indexOf("'", i + 1)
        if (end === -1) return { variables, error: `unterminated quoted selector in "${text.slice(start)}"` }
        key = text.slice(i + 1, end)
        if (key.length >= 2 && key.startsWith('/') && key.endsWith('/') && collection !== 'XML') {
          key = key.slice(1, -1)
          keyIsRegex = true
        }
        i = end + 1
      } else {
        const end = text.indexOf('|', i)
        key = (end === -1 ? text.slice(i) : text.slice(i, end)).trim()
        i = end === -1 ? n : end
      }
    }
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++
    if (i < n && text[i] !== '|') return { variables, error: `unexpected "${text[i]}" after variable "${text.slice(start, i)}"` }
    const ref: VariableRef = { collection, keyIsRegex, count, exclude, raw: text.slice(start, i).trim() }
    if (key !== undefined) ref.key = key
    variables.push(ref)
    i++ // past '|'
  }
  if (variables.length === 0) return { variables, error: 'empty variable list' }
  return { variables }
}

/** Index of the `/` that closes a regex selector starting at `from`, skipping escaped slashes. */
function closingSlash (s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s[i]
    if (c === '\\') { i++; continue }
    if (c === '/') {
      // A slash closes the selector only where the target list may go on.
      let j = i + 1
      while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++
      if (j === s.length || s[j] === '|') return i
    }
  }
  return -1
}
