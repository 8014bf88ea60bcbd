import t from 'tap'
import { jsonInner, jsonString, jsonText, jsonTextInner } from '../../../lib/text/json-text.js'
import { asText } from '../../../lib/text/escape.js'
import { stringRepresentations } from '../../helpers/string-representations.js'

/** What the json writer writes: JSON.stringify, with U+2028 and U+2029 escaped. */
function reference (s: string): string {
  return JSON.stringify(s).replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029')
}


t.test('short strings (the loop) and long ones (the regular-expression scan) are JSON.stringify\'s literal, every char at every place', async t => {
  const chars: number[] = []
  for (let c = 0; c < 0x100; c++) chars.push(c)
  chars.push(0x2028, 0x2029, 0x3042, 0xd800, 0xdc00, 0xfffd)
  let bad = 0
  let checked = 0
  for (const len of [1, 2, 12, 13, 14, 40]) {
    for (const code of chars) {
      const c = String.fromCharCode(code)
      for (const at of [0, len >> 1, len - 1]) {
        const s = 'a'.repeat(at) + c + 'b'.repeat(len - 1 - at)
        const want = reference(s)
        const wantText = reference(asText(s))
        for (const r of stringRepresentations(s)) {
          checked++
          if (jsonString(r) !== want || jsonInner(r) !== want.slice(1, -1)) bad++
          if (jsonText(r) !== wantText || jsonTextInner(r) !== wantText.slice(1, -1)) bad++
        }
      }
    }
  }
  t.equal(bad, 0, `${checked} strings`)
})

t.test('a plain value is returned as it is, quotes around it', async t => {
  const s = 'application/json; charset=utf-8'
  t.equal(jsonInner(s), s)
  t.equal(jsonString(s), `"${s}"`)
  t.equal(jsonInner(''), '')
  t.equal(jsonString('a"b\\c'), '"a\\"b\\\\c"')
})
