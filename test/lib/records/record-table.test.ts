import t from 'tap'
import fc from 'fast-check'
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

interface RunSrc { s: string, t: string, n: number, e: number, m: number, c: string, flag: boolean, after: string, inner: { x: string, y: number } | undefined, z: string, w: number, b?: string }

/**
 * Runs of repeating fields of every kind: six in one group, one after a boolean, one inside a
 * nullable group, one right after it; a field that never repeats and an optional one between.
 */
const runTable: ReadonlyArray<Field<RunSrc>> = [
  { name: 'kind', constant: 'runs' },
  { name: 's', kind: 'string', get: r => r.s, repeats: true },
  { name: 't', kind: 'text', get: r => r.t, repeats: true },
  { name: 'n', kind: 'number', get: r => r.n, repeats: true },
  { name: 'e', kind: 'epoch-ms', get: r => r.e, repeats: true },
  { name: 'm', kind: 'ms', get: r => r.m, repeats: true },
  { name: 'c', object: r => ({ c: r.c }), json: r => `{"c":${JSON.stringify(r.c)}}`, repeats: true },
  { name: 'flag', kind: 'boolean', get: r => r.flag },
  { name: 'after', kind: 'string', get: r => r.after, repeats: true },
  {
    name: 'inner',
    nullWhen: r => r.inner === undefined,
    fields: [
      { name: 'x', kind: 'string', get: r => r.inner?.x, repeats: true },
      { name: 'y', kind: 'number', get: r => r.inner?.y, repeats: true }
    ]
  },
  { name: 'z', kind: 'text', get: r => r.z, repeats: true },
  { name: 'w', kind: 'number', get: r => r.w },
  { name: 'g', fields: [{ name: 'u', kind: 'string', get: r => r.s, repeats: true }, { name: 'v', kind: 'ms', get: r => r.m, repeats: true }] },
  { name: 'b', kind: 'string', get: r => r.b, optional: true }
]

t.test('a run of repeating fields reuses its text only while every value is the same', async t => {
  // Small pools, so that neighbours share some values and not others; -0 and 0, NaN, U+2028,
  // bytes that decode as UTF-8 and bytes that do not.
  const text = fc.constantFrom('a', 'b', '\u2028', '\xc3\xa9', '\xff', '"\\', '')
  const num = fc.constantFrom(0, -0, Number.NaN, 1.5, 1763764800123, Infinity, 0.0005, 2 ** 31)
  const src = fc.record({
    s: text, t: text, n: num, e: num, m: num, c: text, flag: fc.boolean(), after: text,
    inner: fc.option(fc.record({ x: text, y: num }), { nil: undefined }),
    z: text, w: num, b: fc.option(text, { nil: undefined })
  })
  let lines = 0
  const r = fc.check(fc.property(fc.array(fc.tuple(src, fc.subarray(['s', 't', 'n', 'e', 'm', 'c', 'flag', 'after', 'inner', 'z', 'w', 'b'] as const)), { minLength: 2, maxLength: 30 }), steps => {
    // A fresh table per sequence: its runs start with nothing remembered.
    const rec = compileRecord<RunSrc, Record<string, unknown>>(runTable)
    let cur: RunSrc = steps[0][0]
    for (const [next, changed] of steps) {
      // Each step takes a few fields from a new source and keeps the rest of the previous one.
      const merged: RunSrc = { ...cur }
      for (const k of changed) (merged as unknown as Record<string, unknown>)[k] = next[k]
      cur = merged
      const want = jsonLine(rec.build(cur))
      const got = rec.json(cur)
      if (got !== want) throw new Error(`differ:\n${want}\n${got}`)
      lines++
    }
  }), { numRuns: 400 })
  t.notOk(r.failed, r.failed ? `${String(r.errorInstance)}\non ${JSON.stringify(r.counterexample)}` : 'no counterexample')
  t.ok(lines > 2000, `${lines} lines, each the JSON of its object`)
})

t.test('a boolean field cannot repeat', async t => {
  t.throws(() => compileRecord<Src, object>([{ name: 'a', constant: 1 }, { name: 'flag', kind: 'boolean', get: s => s.flag, repeats: true }]), /boolean field "flag" cannot repeat/)
})
