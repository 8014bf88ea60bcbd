import type { TransformFn } from '../model.js'
import { hexVal, isOctal, lowByteOfWide } from '../bytes.js'

const SIMPLE: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' }

/**
 * `jsDecode`: JavaScript escapes. `\uHHHH` keeps the low byte (full-width ASCII folded, as in
 * ModSecurity), `\xHH`, `\OOO` (octal up to \377), `\a \b \f \n \r \t \v`; any other `\C`
 * gives `C`. A lone trailing backslash is kept.
 */
export const jsDecode: TransformFn = s => {
  let i = s.indexOf('\\')
  if (i === -1) return s
  let out = ''
  let from = 0
  const n = s.length
  for (; i !== -1 && i < n - 1; i = s.indexOf('\\', i + 1)) {
    const c = s.charCodeAt(i + 1)
    let rep: string
    let end: number
    if (c === 117 && i + 5 < n && hexVal(s.charCodeAt(i + 2)) >= 0 && hexVal(s.charCodeAt(i + 3)) >= 0 &&
      hexVal(s.charCodeAt(i + 4)) >= 0 && hexVal(s.charCodeAt(i + 5)) >= 0) {
      const hi = hexVal(s.charCodeAt(i + 2)) * 16 + hexVal(s.charCodeAt(i + 3))
      const lo = hexVal(s.charCodeAt(i + 4)) * 16 + hexVal(s.charCodeAt(i + 5))
      rep = String.fromCharCode(lowByteOfWide(hi, lo))
      end = i + 6
    } else if (c === 120 && i + 3 < n && hexVal(s.charCodeAt(i + 2)) >= 0 && hexVal(s.charCodeAt(i + 3)) >= 0) {
      rep = String.fromCharCode(hexVal(s.charCodeAt(i + 2)) * 16 + hexVal(s.charCodeAt(i + 3)))
      end = i + 4
    } else if (isOctal(c)) {
      let j = i + 1
      let v = 0
      // Three digits only while the value fits a byte (\377), as ModSecurity does.
      while (j < n && j < i + 4 && isOctal(s.charCodeAt(j))) {
        const next = v * 8 + s.charCodeAt(j) - 48
        if (next > 0xff) break
        v = next
        j++
      }
      rep = String.fromCharCode(v)
      end = j
    } else {
      rep = SIMPLE[s[i + 1]] ?? s[i + 1]
      end = i + 2
    }
    out += s.slice(from, i) + rep
    from = end
    i = end - 1
  }
  return from === 0 ? s : out + s.slice(from)
}
