import type { TransformFn } from '../model.js'
import { hexVal, isOctal } from '../bytes.js'

const SIMPLE: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '?': '?', "'": "'", '"': '"'
}

/**
 * `escapeSeqDecode`: ANSI C escapes: `\a \b \f \n \r \t \v \\ \? \' \"`, `\xHH`, `\OOO`
 * (octal, up to three digits). An unknown `\C` gives `C`; a trailing `\` is kept.
 */
export const escapeSeqDecode: TransformFn = s => {
  let i = s.indexOf('\\')
  if (i === -1) return s
  let out = ''
  let from = 0
  const n = s.length
  for (; i !== -1 && i < n - 1; i = s.indexOf('\\', i + 1)) {
    const ch = s[i + 1]
    const c = s.charCodeAt(i + 1)
    let rep: string
    let end = i + 2
    if (SIMPLE[ch] !== undefined) {
      rep = SIMPLE[ch]
    } else if ((c === 120 || c === 88) && i + 3 < n && hexVal(s.charCodeAt(i + 2)) >= 0 && hexVal(s.charCodeAt(i + 3)) >= 0) {
      rep = String.fromCharCode(hexVal(s.charCodeAt(i + 2)) * 16 + hexVal(s.charCodeAt(i + 3)))
      end = i + 4
    } else if (isOctal(c)) {
      let j = i + 1
      let v = 0
      while (j < n && j < i + 4 && isOctal(s.charCodeAt(j))) v = v * 8 + s.charCodeAt(j++) - 48
      rep = String.fromCharCode(v & 0xff)
      end = j
    } else {
      rep = ch
    }
    out += s.slice(from, i) + rep
    from = end
    i = end - 1
  }
  return from === 0 ? s : out + s.slice(from)
}
