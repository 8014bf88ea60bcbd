/**
 * `t:replaceComments`: every C comment `/* … *\/` becomes one space; an unterminated comment
 * runs to the end of the value and becomes one space too (ModSecurity's replace_comments).
 */
export function replaceComments (input: string): string {
  let i = input.indexOf('/*')
  if (i === -1) return input
  let out = input.slice(0, i)
  const n = input.length
  while (i < n) {
    if (input.charCodeAt(i) === 47 && input.charCodeAt(i + 1) === 42) {
      const end = input.indexOf('*/', i + 2)
      out += ' '
      if (end === -1) return out
      i = end + 2
    } else {
      out += input[i]
      i++
    }
  }
  return out
}
