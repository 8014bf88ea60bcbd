import type { TransformFn } from '../model.js'

const TRIGGER = /\/\*|<!--|--|#/

/**
 * `removeComments`: removes `/* … *\/` and `<!-- … -->` comments; `--` or `#` (SQL / shell
 * line comments) become one space and end the value, as in ModSecurity. An unterminated
 * block comment is removed up to the end and leaves one space.
 */
export const removeComments: TransformFn = s => {
  if (!TRIGGER.test(s)) return s
  let out = ''
  let i = 0
  const n = s.length
  while (i < n) {
    const c = s.charCodeAt(i)
    if (c === 47 && s.charCodeAt(i + 1) === 42) {
      const end = s.indexOf('*/', i + 2)
      if (end === -1) return out + ' '
      i = end + 2
    } else if (c === 60 && s.startsWith('<!--', i)) {
      const end = s.indexOf('-->', i + 4)
      if (end === -1) return out + ' '
      i = end + 3
    } else if ((c === 45 && s.charCodeAt(i + 1) === 45) || c === 35) {
      return out + ' '
    } else {
      // Copy up to the next character that can start a comment.
      let j = i + 1
      while (j < n) {
        const d = s.charCodeAt(j)
        if (d === 47 || d === 60 || d === 45 || d === 35) break
        j++
      }
      out += s.slice(i, j)
      i = j
    }
  }
  return out
}
