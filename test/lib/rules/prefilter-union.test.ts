import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { PhaseTable } from '../../../lib/rules/exec.js'
import type { PrefilterSet } from '../../../lib/rules/prefilter.js'
import { buildSets } from '../../../lib/rules/prefilter.js'
import { buildUnions } from '../../../lib/rules/prefilter-union.js'
import type { PartUnion } from '../../../lib/rules/prefilter-union.js'
import { loadCrs } from '../../crs/crs-builder.js'
import { compileRule, RuleEngine, RuleSetBuilder } from '../../../lib/rules/index.js'
import type { RequestInput, RuleSpec } from '../../../lib/rules/index.js'
import { CORPUS, corpusDir, payloads, payloadsPresent } from './corpus.js'

/** One set's own verdict, sorted. */
const alone = (s: PrefilterSet, bytes: Buffer): number[] => bytes.length === 0 ? [] : [...s.set.match(bytes)].sort((a, b) => a - b)

/** Set `s`'s share of a union's result, sorted. */
const share = (u: PartUnion, slots: number, s: PrefilterSet, bytes: Buffer): number[] => [...(u.scan(bytes, slots)[s.slot] ?? [])].sort((a, b) => a - b)

t.test('a union reports for each set what the set reports alone; parts one set reads get none; equal readers share one', async t => {
  const a = buildSets(['union\\s+select', '<script', 'evil[0-9]+'])
  const b = buildSets(['<script', 'select\\b', '^admin$'])
  const c = buildSets(['passwd'])
  const groups = [{ text: 0, sets: a }, { text: 1, sets: b }, { text: 2, sets: c }]
  // Part 0: read by a and b, raw and through chain pair 0 (a only) and pair 1 (a and b). Part 1: by b and c. Part 2: by c alone. Part 3: by a and b, like part 0.
  const texts = [
    { parts: [0, 3], partPairs: [[0, 1], []] },
    { parts: [0, 1, 3], partPairs: [[1], [], []] },
    { parts: [1, 2], partPairs: [[], []] }
  ]
  const { unions, pairUnions, setCount } = buildUnions(groups, texts, 4, 2, groups.map(() => true))
  t.equal(setCount, 3)
  t.same([a[0].slot, b[0].slot, c[0].slot], [0, 1, 2], 'every set has its slot')
  t.ok(unions[0] !== undefined && unions[1] !== undefined, 'parts two sets read have a union')
  t.equal(unions[2], undefined, 'a part one set reads has none')
  t.equal(unions[3], unions[0], 'parts the same sets read share one union')
  t.equal(pairUnions[0], undefined, 'a chain one set reads a part through has none')
  t.equal(pairUnions[1], unions[0], 'a chain read by the same sets as the raw values: the same union')
  const values = ['1 union  select 2', '<script>alert(1)</script>', 'evil42', 'admin', 'admin\nx', '/etc/passwd', 'harmless', 'select', '']
  for (const v of values) {
    const bytes = Buffer.from(v)
    for (const [u, sets] of [[unions[0], [a[0], b[0]]], [unions[1], [b[0], c[0]]]] as const) {
      for (const s of sets) t.same(share(u as PartUnion, setCount, s, bytes), alone(s, bytes), `${JSON.stringify(v)}: set ${s.slot} in the union as alone`)
    }
    t.equal((unions[0] as PartUnion).scan(bytes, setCount)[c[0].slot], undefined, 'a set not in the union gets nothing')
  }
})

const crsDir = join(corpusDir(), 'crs')

const present = existsSync(join(crsDir, 'rules')) && payloadsPresent()
if (!present && process.env.CI !== undefined) t.fail(`the corpus is absent (${corpusDir()}): CI needs it`)

t.test('every union of the CRS (PL1 and PL4, both phases) gives each of its sets exactly what the set finds alone, over the payload corpus',
  { skip: present ? false : `the corpus is absent (${corpusDir()}); set WAF_CORPUS` }, async t => {
  for (const paranoia of [1, 4]) {
    const rules = (await loadCrs(crsDir, t.testdir(), paranoia)).build()
    // Every distinct union with the sets that read it (its readers, from the phase's plan).
    const checked: Array<{ table: PhaseTable, union: PartUnion, readers: PrefilterSet[] }> = []
    for (const table of rules.phases) {
      if (table === undefined) continue
      const raw = new Map<PartUnion, Set<PrefilterSet>>()
      const add = (u: PartUnion | undefined, s: PrefilterSet): void => {
        if (u === undefined) return
        if (!raw.has(u)) raw.set(u, new Set())
        raw.get(u)!.add(s)
      }
      for (const g of table.groups) {
        const text = table.texts[g.text]
        for (const s of g.sets) {
          text.parts.forEach((p, k) => {
            add(table.unions[p], s)
            for (const pair of text.partPairs[k]) add(table.pairUnions[pair], s)
          })
        }
      }
      for (const [union, readers] of raw) checked.push({ table, union, readers: [...readers] })
    }
    t.ok(checked.length >= 4, `PL${paranoia}: the CRS has unions (${checked.length})`)
    let compared = 0
    const wrong: string[] = []
    for (const { name } of CORPUS) {
      payloads(name).forEach((p, i) => {
        if (i % 100 !== 0) return
        for (const text of [p, p.toLowerCase(), `/shop/${i}/${p}`]) {
          const bytes = Buffer.from(text, 'latin1')
          // A set reads several parts: its own verdict on the text is found once.
          const own = new Map<PrefilterSet, string>()
          for (const { table, union, readers } of checked) {
            const found = union.scan(bytes, table.setCount)
            for (const s of readers) {
              compared++
              const got = [...(found[s.slot] ?? [])].sort((a, b) => a - b)
              let want = own.get(s)
              if (want === undefined) own.set(s, want = alone(s, bytes).join())
              if (got.join() !== want) wrong.push(`PL${paranoia} ${name}:${i + 1} set ${s.id}: union [${got.join()}], alone [${want}]`)
            }
          }
        }
      })
    }
    t.comment(`PL${paranoia}: ${checked.length} unions, ${compared} set verdicts compared`)
    t.same(wrong.slice(0, 20), [], `PL${paranoia}: every set's share of a union is its own verdict`)
  }
})

t.test('a union a set without literal factors reads is scanned without looking for the others\' factors first (PartUnion.scannedAnyway): same matches, no literal skip; a later chain link alone does not count', async t => {
  // Rule 1's set has the factor `foo`; rule 2's (`[0-9]{3}`) has none, and reads ARGS too: the two share ARGS' union.
  const engine = (second: RuleSpec, cache: boolean): RuleEngine => {
    const b = new RuleSetBuilder()
    b.add(compileRule({ id: 1, phase: 2, targets: ['ARGS'], operator: { name: 'rx', argument: 'foo[0-9]+' }, capture: true, logdata: 'one %{TX.0} %{MATCHED_VAR_NAME}' }))
    b.add(compileRule(second))
    return new RuleEngine(b.build(), { mode: 'detect', ...(cache ? {} : { resultCacheBytes: 0 }) })
  }
  // Through a chain of its own (raw values and lower-cased, multiMatch), so that a rule set this small does not merge the two groups (SMALL_SET).
  const unfiltered: RuleSpec = { id: 2, phase: 2, targets: ['ARGS', 'REQUEST_HEADERS'], transforms: ['lowercase'], multiMatch: true, operator: { name: 'rx', argument: '[0-9]{3}' }, logdata: 'two %{MATCHED_VAR_NAME}' }
  const filtered: RuleSpec = { ...unfiltered, operator: { name: 'rx', argument: 'bar[0-9]{3}' } }
  // The factor-less pattern only as a chain link after a head with an effect (a setvar, so the link is not looked at early) and no prefilter (`@eq`): its group is scanned only when the head matched.
  const linked: RuleSpec = { id: 2, phase: 2, targets: ['REQUEST_HEADERS:X-Go'], operator: { name: 'eq', argument: '1' }, setvars: [{ name: 'tx.go', op: '=', value: '1' }], chain: { targets: ['ARGS', 'REQUEST_HEADERS'], transforms: ['lowercase'], multiMatch: true, operator: { name: 'rx', argument: '[0-9]{3}' } } }
  const next = (() => {
    let s = 99
    return () => {
      s ^= s << 13
      s ^= s >>> 17
      s ^= s << 5
      return (s >>> 0) / 2 ** 32
    }
  })()
  const words = ['foo', 'foo1', 'bar', 'bar123', '123', '12', 'x', 'hello world', 'FOO7', '']
  const requests: RequestInput[] = Array.from({ length: 300 }, (_, i) => {
    const q = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, k) => `a${k}=${encodeURIComponent(words[Math.floor(next() * words.length)] + words[Math.floor(next() * words.length)])}`).join('&')
    return { method: 'GET', url: `/p?${q}&n=${i % 7}`, headers: { 'x-go': next() < 0.5 ? '1' : '0' } }
  })
  const seen = (r: ReturnType<RuleEngine['check']>): string => JSON.stringify(r.matches.map(m => [m.rule.id, m.location, m.value, m.matched, m.logdata]))
  for (const [name, second, skips] of [['unfiltered', unfiltered, false], ['filtered', filtered, true], ['linked', linked, true]] as const) {
    const cached = engine(second, true)
    const plain = engine(second, false)
    const differ = requests.filter(r => seen(cached.check(r)) !== seen(plain.check(r)))
    t.same(differ, [], `${name}: the same matches and logdata as without the cache`)
    const s = cached.resultCache!.stats()
    if (skips) t.ok(s.literalSkips > 0, `${name}: rule 1's set looks for its factor first (${s.literalSkips} skips)`)
    else t.equal(s.literalSkips, 0, `${name}: rule 1's set reads its share of the union rule 2's set scans anyway`)
  }
})
