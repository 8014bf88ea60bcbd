import t from 'tap'
import { compileRecord } from '../../../lib/records/record-table.js'
import type { Field } from '../../../lib/records/record-table.js'
import { jsonLine } from '../../../lib/log/writers/json.js'

interface Src { a: string, b?: string, n: number, flag: boolean, inner: { t: string } | undefined, bytes: string }

const table: ReadonlyArray<Field<Src>> = [
  { name: 'kind', constant: 'demo' },
  { name: 'a', kind: 'string', get: s => s.a, repeats: true },
  { name: 'bytes', kind: 'text', get: s => s.bytes },
  { name: 'again', kind: 'text', get: s => s.bytes },
  {
    name: 'inner',
    nullWhen: s => s.inner === undefined,
    fields: [
      { name: 't', kind: 'string', get: s => s.inner?.t },
      { name: 'on', kind: 'boolean', get: s => s.flag }
    ]
  },
  { name: 'ms', kind: 'ms', get: s => s.n },
  { name: 'custom', object: s => ({ n: s.n }), json: s => `{"n":${JSON.stringify(s.n)}}` },
  { name: 'flag', kind: 'boolean', get: s => s.flag },
  { name: 'b', kind: 'string', get: s => s.b, optional: true }
]

t.test('one table gives the object and exactly its JSON line', async t => {
  const rec = compileRecord<Src, Record<string, unknown>>(table)
  const sources: Src[] = [
    { a: 'x', n: 1.23456, flag: true, inner: { t: 'q"' }, bytes: '\xc3\xa9' },
    { a: 'x', b: 'bee', n: Number.NaN, flag: false, inner: undefined, bytes: '\xff' },
    { a: '\u2028', b: '', n: -0.0004, flag: false, inner: { t: '' }, bytes: '' }
  ]
  // The label is the source's index: a raw U+2028 in a TAP message splits its line, and tap then miscounts the asserts.
  for (const [i, src] of [...sources, ...sources].entries()) t.equal(rec.json(src), jsonLine(rec.build(src)), `source ${i % sources.length}`)
  t.same(rec.build(sources[0]), { kind: 'demo', a: 'x', bytes: 'é', again: 'é', inner: { t: 'q"', on: true }, ms: 1.235, custom: { n: 1.23456 }, flag: true })
  t.equal(rec.json(sources[1]), '{"kind":"demo","a":"x","bytes":"ÿ","again":"ÿ","inner":null,"ms":0,"custom":{"n":null},"flag":false,"b":"bee"}')
  t.same(Object.keys(rec.build(sources[1])), ['kind', 'a', 'bytes', 'again', 'inner', 'ms', 'custom', 'flag', 'b'])
})

t.test('an optional field must be a string after another field', async t => {
  t.throws(() => compileRecord<Src, object>([{ name: 'b', kind: 'string', get: s => s.b, optional: true }]), /optional field "b" must be a string after another field/)
  t.throws(() => compileRecord<Src, object>([{ name: 'a', constant: 1 }, { name: 'n', kind: 'number', get: s => s.n, optional: true }]), /optional field "n"/)
})
