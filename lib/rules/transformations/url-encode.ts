import type { TransformFn } from '../model.js'

/** `urlEncode`: bytes outside `A-Za-z0-9-_.~` as `%HH` (uppercase hex), space as `+`. */
export const urlEncode: TransformFn = s => {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95 || c === 126) out += s[i]
    else if (c === 32) out += '+'
    else out += '%' + (c & 0xff).toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}
