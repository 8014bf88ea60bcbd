/**
 * Every transformation case of testdata.json run through the public registry (Coraza keeps its
 * transformation cases in testdata/*.json the same way). A row gives the transformation's registered
 * name, the input and either `output` (the exact result) or `outputHex` (the result's bytes in hex,
 * for the raw digests of md5 and sha1). Values are byte strings, one char per byte, as the engine holds them.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { getTransformation, transformationNames } from '../../../../lib/rules/transformations/index.js'

interface Row { name: string, input: string, output?: string, outputHex?: string, note?: string }

function isRow (v: unknown): v is Row {
  if (typeof v !== 'object' || v === null) return false
  const r = v as Record<string, unknown>
  const optional = (k: string): boolean => r[k] === undefined || typeof r[k] === 'string'
  return typeof r.name === 'string' && typeof r.input === 'string' && optional('output') && optional('outputHex') && optional('note') &&
    (r.output === undefined) !== (r.outputHex === undefined)
}

const parsed: unknown = JSON.parse(readFileSync(new URL('./testdata.json', import.meta.url), 'utf8'))
if (!Array.isArray(parsed)) throw new TypeError('testdata.json: not an array')
const rows: Row[] = parsed.map((v: unknown, i) => {
  if (!isRow(v)) throw new TypeError(`testdata.json row ${i}: needs name, input and one of output/outputHex (strings): ${JSON.stringify(v)}`)
  return v
})
const names = [...new Set(rows.map(r => r.name))]

t.test('the table covers every registered transformation (an alias such as normalisePath by its function)', async t => {
  const tested = new Set(names.map(n => getTransformation(n)?.fn))
  t.same(transformationNames().filter(n => !tested.has(getTransformation(n)?.fn)), [], 'registered transformations without a row')
})

t.test('each transformation is registered under its name, case-insensitively', async t => {
  for (const name of names) {
    const entry = getTransformation(name)
    t.equal(entry?.name, name, `${name} is registered`)
    t.equal(getTransformation(name.toLowerCase())?.fn, entry?.fn, `${name.toLowerCase()} finds ${name}`)
  }
})

for (const name of names) {
  t.test(name, async t => {
    const fn = getTransformation(name)?.fn
    if (fn === undefined) return t.fail(`${name} is not registered`)
    for (const row of rows.filter(r => r.name === name)) {
      const expected = row.outputHex === undefined ? row.output : Buffer.from(row.outputHex, 'hex').toString('latin1')
      t.equal(fn(row.input), expected, `${JSON.stringify(row.input)}${row.note === undefined ? '' : ': ' + row.note}`)
    }
  })
}
