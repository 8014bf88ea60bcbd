/**
 * The operator cases of testdata.json run through the public registry (op() builds the registered
 * operator with the row's argument), as Coraza keeps testdata/*.json with one runner:
 *  - match: does the operator match `input`? `tx` sets TX variables first, for macro arguments;
 *  - prefilter: the regex the operator adds to the rule's prefilter (null: none);
 *  - toInt: the C atoi reading that eq, ge, gt, le and lt share.
 * Operators with more to check than a yes/no (rx, pm, detectSQLi, detectXSS) keep their own files.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { toInt } from '../../../../lib/rules/operators/numeric.js'
import { op, TestContext } from '../match-context.js'

interface MatchRow { operator: string, argument: string, input: string, match: boolean, tx?: Record<string, string>, note: string }
interface PrefilterRow { operator: string, argument: string, prefilter: string | null, note: string }
interface ToIntRow { input: string, output: number }

type Shape = Record<string, 'string' | 'boolean' | 'number' | 'string?' | 'string|null' | 'record?'>
const SHAPES = {
  match: { operator: 'string', argument: 'string', input: 'string', match: 'boolean', tx: 'record?', note: 'string' },
  prefilter: { operator: 'string', argument: 'string', prefilter: 'string|null', note: 'string' },
  toInt: { input: 'string', output: 'number' }
} satisfies Record<string, Shape>

function fits (v: unknown, shape: Shape): boolean {
  if (typeof v !== 'object' || v === null) return false
  const r = v as Record<string, unknown>
  return Object.keys(r).every(k => k in shape) && Object.entries(shape).every(([k, type]) => {
    const x = r[k]
    switch (type) {
      case 'string|null': return x === null || typeof x === 'string'
      case 'string?': return x === undefined || typeof x === 'string'
      case 'record?': return x === undefined || (typeof x === 'object' && x !== null && Object.values(x).every(s => typeof s === 'string'))
      default: return typeof x === type
    }
  })
}

function table<T> (data: Record<string, unknown>, key: keyof typeof SHAPES): T[] {
  const rows = data[key]
  if (!Array.isArray(rows)) throw new TypeError(`testdata.json: "${key}" is not an array`)
  rows.forEach((row: unknown, i) => {
    if (!fits(row, SHAPES[key])) throw new TypeError(`testdata.json ${key}[${i}] is not ${JSON.stringify(SHAPES[key])}: ${JSON.stringify(row)}`)
  })
  return rows as T[]
}

const data = JSON.parse(readFileSync(new URL('./testdata.json', import.meta.url), 'utf8')) as Record<string, unknown>
const matchRows = table<MatchRow>(data, 'match')
const prefilterRows = table<PrefilterRow>(data, 'prefilter')
const toIntRows = table<ToIntRow>(data, 'toInt')

for (const name of new Set(matchRows.map(r => r.operator))) {
  t.test(name, async t => {
    for (const row of matchRows.filter(r => r.operator === name)) {
      const ctx = new TestContext()
      for (const [k, v] of Object.entries(row.tx ?? {})) ctx.tx.set(k, v)
      const tx = row.tx === undefined ? '' : ` with TX ${JSON.stringify(row.tx)}`
      t.equal(op(name, row.argument).match(row.input, ctx), row.match, `${JSON.stringify(row.argument)} ${row.match ? 'matches' : 'does not match'} ${JSON.stringify(row.input)}${tx}: ${row.note}`)
    }
  })
}

t.test('prefilters', async t => {
  for (const row of prefilterRows) {
    t.equal(op(row.operator, row.argument).prefilter, row.prefilter ?? undefined, `${row.operator} ${JSON.stringify(row.argument)}: ${row.note}`)
  }
})

t.test('eq, ge, gt, le and lt read values like C atoi', async t => {
  for (const row of toIntRows) t.equal(toInt(row.input), row.output, JSON.stringify(row.input))
})
