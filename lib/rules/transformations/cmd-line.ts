import type { TransformFn } from '../model.js'
import { lowercase } from './lowercase.js'

const DROP = /[\\"'^]/g
const SPACES = /[ ,;\t\r\n]+/g
const BEFORE = / (?=[/(])/g
const NEEDS = /[\\"'^,;\t\r\n/(]| {2}|[A-Z]/

/**
 * `cmdLine`, ModSecurity's command-line normalisation: drops `\ " ' ^`; turns runs of space,
 * tab, CR, LF, `,` and `;` into one space; drops a space before `/` or `(`; lower-cases ASCII.
 * So `c^ommand /c` gives `command/c`. (Dropped characters do not split a run of spaces, as in
 * ModSecurity's loop, because they are dropped first.)
 */
export const cmdLine: TransformFn = s => {
  if (!NEEDS.test(s)) return s
  let out = s.replace(DROP, '').replace(SPACES, ' ')
  if (out.indexOf(' /') !== -1 || out.indexOf(' (') !== -1) out = out.replace(BEFORE, '')
  return lowercase(out)
}
