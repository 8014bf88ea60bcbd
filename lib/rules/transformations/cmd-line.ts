import type { TransformFn } from '../model.js'
import { bytes, SHORT, text } from '../byte-writer.js'
import { lowercase } from './lowercase.js'

const DROP = /[\\"'^]/g
const SPACES = /[ ,;\t\r\n]+/g
const BEFORE = / (?=[/(])/g
const NEEDS = /[\\"'^,;\t\r\n/(]| {2}|[A-Z]/

/**
 * `cmdLine`, ModSecurity's command-line normalisation: drops `\ " ' ^`; turns runs of space,
 * tab, CR, LF, `,` and `;` into one space; drops a space before `/` or `(`; lower-cases ASCII.
 * So `c^ommand /c` gives `command/c`. (Dropped characters do not split a run of spaces, as in
 * ModSecurity's loop, because they are dropped first.) Short values take ModSecurity's loop
 * over bytes, long ones the same rules as regex replacements.
 */
export const cmdLine: TransformFn = s => {
  if (!NEEDS.test(s)) return s
  return s.length <= SHORT ? byLoop(s) : byRegex(s)
}

function byRegex (s: string): string {
  let out = s.replace(DROP, '').replace(SPACES, ' ')
  if (out.indexOf(' /') !== -1 || out.indexOf(' (') !== -1) out = out.replace(BEFORE, '')
  return lowercase(out)
}

function byLoop (s: string): string {
  const out = bytes(s.length)
  let len = 0
  let space = false
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i)
    if (c > 255) return byRegex(s)
    switch (c) {
      case 34: case 39: case 92: case 94: // " ' \ ^
        break
      case 32: case 44: case 59: case 9: case 13: case 10: // space , ; \t \r \n
        if (!space) {
          out[len++] = 32
          space = true
        }
        break
      case 47: case 40: // / (
        if (space) len--
        space = false
        out[len++] = c
        break
      default:
        if (c >= 65 && c <= 90) c += 32
        out[len++] = c
        space = false
    }
  }
  return text(len)
}
