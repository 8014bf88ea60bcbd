/**
 * `t:removeCommentsChar`: drops the comment markers `/*`, `*\/`, `<!--`, `-->`, `--` and `#`,
 * keeping what is between them (ModSecurity's remove_comments_char).
 */
export function removeCommentsChar (input: string): string {
  let out = ''
  const n = input.length
  let i = 0
  while (i < n) {
    const c = input[i]!
    if (c === '/' && input[i + 1] === '*') i += 2
    else if (c === '*' && input[i + 1] === '/') i += 2
    else if (c === '<' && input.startsWith('!--', i + 1)) i += 4
    else if (c === '-' && input[i + 1] === '-' && input[i + 2] === '>') i += 3
    else if (c === '-' && input[i + 1] === '-') i += 2
    else if (c === '#') i++
    else { out += c; i++ }
  }
  return out
}
