import t from 'tap'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { compileRule, RuleEngine, RuleSetBuilder } from '../../../lib/rules/index.js'
import type { RequestInput } from '../../../lib/rules/index.js'
import { DEFAULT_RESULT_CACHE_BYTES, MAX_PIECE_CHARS, NOTHING, ResultCache } from '../../../lib/rules/result-cache.js'
import type { ScanPiece } from '../../../lib/rules/result-cache.js'

/** A key as the scan builds one: values joined by concatenation (a cons string, flattened when hashed). */
const key = (i: number, width = 40): string => `value ${i} `.padEnd(width, 'x') + '\n' + String(i * 7)

/** The piece of a key, seen twice (the first sighting only marks it seen). */
function pieceOf (c: ResultCache, k: string): ScanPiece {
  const first = c.piece(k)
  return first ?? (c.piece(k) as ScanPiece)
}

t.test('a piece is made on the second sighting; verdicts are found by set id; the counters count', async t => {
  const c = new ResultCache(1 << 20)
  t.equal(c.piece(key(1)), undefined, 'first sighting: not remembered yet')
  t.equal(c.stats().seenOnce, 1)
  const p = c.piece(key(1)) as ScanPiece
  t.ok(p !== undefined, 'second sighting: a piece')
  t.equal(c.piece(key(1)), p, 'the same piece after')
  t.equal(c.verdict(p, 7), undefined, 'no verdict yet')
  c.remember(p, 7, NOTHING)
  c.remember(p, 9, [0, 3])
  t.same(c.verdict(p, 9), [0, 3])
  t.equal(c.verdict(p, 7), NOTHING)
  t.equal(c.verdict(p, 8), undefined)
  // More verdicts than the first slots hold: the slots grow, earlier verdicts stay.
  for (let id = 100; id < 120; id++) c.remember(p, id, id % 2 === 0 ? NOTHING : [id])
  for (let id = 100; id < 120; id++) t.same(c.verdict(p, id), id % 2 === 0 ? [] : [id])
  t.same(c.verdict(p, 9), [0, 3])
  c.missed()
  const s = c.stats()
  t.same({ entries: s.entries, seenOnce: s.seenOnce, verdicts: s.verdicts, hits: s.hits, misses: s.misses, evictions: s.evictions, limit: s.limit },
    { entries: 1, seenOnce: 0, verdicts: 22, hits: 23, misses: 3, evictions: 0, limit: 1 << 20 })
  t.ok(s.bytes > key(1).length, 'bytes count the key and more')
})

t.test('bounded: the bytes never pass the limit, the oldest go first, a piece in use stays, the same sequence gives the same cache', async t => {
  const limit = 64 * 1024
  const run = (): { c: ResultCache, kept: number[] } => {
    const c = new ResultCache(limit)
    const hot = pieceOf(c, 'the browser\'s user agent')
    c.remember(hot, 1, NOTHING)
    let maxBytes = 0
    for (let i = 0; i < 5000; i++) {
      const p = pieceOf(c, key(i))
      c.remember(p, 1, i % 3 === 0 ? [i % 5] : NOTHING)
      c.remember(p, 2, NOTHING)
      t.equal(c.verdict(pieceOf(c, 'the browser\'s user agent'), 1), NOTHING)
      maxBytes = Math.max(maxBytes, c.stats().bytes)
    }
    t.ok(maxBytes <= limit, `bytes stay within the limit (at most ${maxBytes})`)
    const kept: number[] = []
    for (let i = 0; i < 5000; i++) if (c.piece(key(i)) !== undefined) kept.push(i)
    return { c, kept }
  }
  const a = run()
  const b = run()
  const s = a.c.stats()
  t.ok(s.evictions > 4000, `evicted (${s.evictions})`)
  t.ok(a.kept.length > 0 && a.kept.length < 1000, `only recent pieces are left (${a.kept.length})`)
  t.ok(a.kept.every(i => i > 4000), 'the oldest went first')
  t.same(b.kept, a.kept, 'deterministic: the same pieces are left')
  t.same(b.c.stats(), s, 'deterministic: the same counters')
  t.equal(s.entries + s.seenOnce > 0, true)
})

t.test('a limit of 0 bytes remembers nothing, and keys seen once are bounded too', async t => {
  const c = new ResultCache(0)
  for (let i = 0; i < 10; i++) t.equal(c.piece(key(1)), undefined)
  t.same([c.stats().entries, c.stats().seenOnce, c.stats().bytes], [0, 0, 0])
  const d = new ResultCache(8 * 1024)
  for (let i = 0; i < 1000; i++) d.piece(key(i))
  t.ok(d.stats().bytes <= 1024, 'keys seen once use at most an eighth of the limit')
})

t.test('the bytes are counted honestly: within the heap the pieces really take', async t => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const c = new ResultCache(1 << 30)
  gc()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < 20000; i++) {
    const p = pieceOf(c, key(i, 120))
    for (let id = 0; id < 12; id++) c.remember(p, id, id === 5 ? [1, 2] : NOTHING)
  }
  gc()
  const grown = process.memoryUsage().heapUsed - before
  const counted = c.stats().bytes
  t.comment(`heap grew ${grown} bytes; the cache counts ${counted}`)
  t.ok(counted >= 0.8 * grown, 'not under-counted')
  t.ok(counted <= 2 * grown, 'not wildly over-counted')
})

t.test('in the engine: a header sent again is served from the cache, a value over 4 KB is never remembered, results do not change', async t => {
  const build = (resultCacheBytes?: number): RuleEngine => {
    const b = new RuleSetBuilder()
    b.add(compileRule({ id: 1, phase: 1, targets: ['REQUEST_HEADERS'], operator: { name: 'rx', argument: 'evil[0-9]+' }, disruptive: 'deny' }))
    b.add(compileRule({ id: 2, phase: 1, targets: ['REQUEST_HEADERS'], transforms: ['urlDecodeUni'], operator: { name: 'rx', argument: '<script' }, disruptive: 'deny' }))
    return new RuleEngine(b.build(), { mode: 'detect', ...(resultCacheBytes === undefined ? {} : { resultCacheBytes }) })
  }
  const on = build()
  const off = build(0)
  t.equal(off.resultCache, undefined, 'resultCacheBytes 0: off')
  t.equal(on.resultCache?.limit, DEFAULT_RESULT_CACHE_BYTES, 'on by default, 16 MiB')
  const req = (ua: string): RequestInput => ({ method: 'GET', url: '/', rawHeaders: ['Host', 'a.example', 'User-Agent', ua] })
  const ids = (e: RuleEngine, ua: string): string[] => e.check(req(ua)).matches.map(m => `${m.rule.id}@${m.location}`)
  const sent = ['Mozilla/5.0', 'evil42', '%3Cscript%3E']
  for (const ua of [...sent, ...sent]) t.same(ids(on, ua), ids(off, ua), `same matches for ${ua}`)
  const twice = on.resultCache!.stats()
  for (const ua of sent) t.same(ids(on, ua), ids(off, ua), `same matches for ${ua}, third sending`)
  t.same(ids(on, '%3Cscript%3E'), ['2@REQUEST_HEADERS:User-Agent'], 'a transformed value still matches from the cache')
  const s = on.resultCache!.stats()
  // A part whose whole is new is remembered value by value (Host's value, each User-Agent), and its whole piece too.
  t.equal(s.entries, 7, 'one piece per header set sent twice, and one per value seen twice (the Host, each User-Agent)')
  t.equal(s.hits - twice.hits, 4, 'the third sending of each, and the request after, are served (one set, one part)')
  t.equal(s.misses - twice.misses, 0, 'and nothing of them is scanned')
  const long = 'a'.repeat(MAX_PIECE_CHARS) + 'evil7'
  for (let i = 0; i < 3; i++) t.same(ids(on, long), ['1@REQUEST_HEADERS:User-Agent'])
  const after = on.resultCache!.stats()
  t.equal(after.entries, 7, 'the long value is not remembered')
  t.equal(after.misses - s.misses, 3, 'it is scanned on every request (its part value by value: the Host is served)')
  t.equal(after.hits - s.hits, 3, 'the Host of each is served')
})

t.test('resultCacheBytes: a clear error naming the option', async t => {
  const set = new RuleSetBuilder().build()
  for (const bad of [-1, 1.5, '16MiB', Number.NaN]) {
    t.throws(() => new RuleEngine(set, { resultCacheBytes: bad as number }), /option "resultCacheBytes" must be a whole number of bytes/, `rejects ${String(bad)}`)
  }
  t.equal(new RuleEngine(set, { resultCacheBytes: 1024 }).resultCache?.limit, 1024)
})

t.test('in the engine: a part whose values change one at a time is remembered value by value, with the same matches', async t => {
  const build = (resultCacheBytes?: number): RuleEngine => {
    const b = new RuleSetBuilder()
    b.add(compileRule({ id: 1, phase: 2, targets: ['ARGS'], operator: { name: 'rx', argument: 'evil[0-9]+' }, disruptive: 'deny' }))
    b.add(compileRule({ id: 2, phase: 2, targets: ['ARGS'], transforms: ['urlDecodeUni', 'lowercase'], operator: { name: 'rx', argument: '<script' }, disruptive: 'deny' }))
    return new RuleEngine(b.build(), { mode: 'detect', ...(resultCacheBytes === undefined ? {} : { resultCacheBytes }) })
  }
  const on = build()
  const off = build(0)
  const form = (token: string, note: string): RequestInput => ({ method: 'POST', url: '/f', rawHeaders: ['Host', 'a.example'], body: { form: `token=${token}&name=ann&city=rome&note=${encodeURIComponent(note)}` } })
  const ids = (e: RuleEngine, input: RequestInput): string[] => e.check(input).matches.map(m => `${m.rule.id}@${m.location}`)
  const notes = ['hello', 'evil7 here', '%3CSCRIPT%3E', 'hello', 'plain']
  for (let i = 0; i < 40; i++) {
    const input = form(`t${i}`, notes[i % notes.length])
    t.same(ids(on, input), ids(off, input), `request ${i}: same matches`)
  }
  t.same(ids(on, form('t99', '%3CSCRIPT%3E')), ['2@ARGS:note'], 'a changed value served from the cache still matches')
  const before = on.resultCache!.stats()
  ids(on, form('t100', 'hello'))
  const after = on.resultCache!.stats()
  // Two sets (the raw pattern's and the transformed one's may share one): the token is scanned, name, city and note are served.
  t.ok(after.hits - before.hits >= 3, 'the unchanged values are served')
  t.ok(after.misses - before.misses <= 2, 'only the new token is scanned')
})

t.test('eviction takes the oldest in the order of use, a piece used again moving to the young end once in the older half', async t => {
  // The order the cache keeps (a list through its pieces) against a model of the rule: pieces in
  // the order made, one used again moved to the end once more than half the pieces held were
  // made or moved since it was; the cache says how many it evicted, the model which ones must be.
  const c = new ResultCache(12 * 1024)
  const order: string[] = []
  const stamps = new Map<string, number>()
  const pieces = new Map<string, ScanPiece>()
  let clock = 0
  let evictions = 0
  let refreshed = 0
  const wrong: string[] = []
  let seed = 7
  const next = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed }
  const evict = (): void => {
    const now = c.stats().evictions
    for (; evictions < now; evictions++) {
      const gone = order.shift() as string
      if (pieces.get(gone)?.live !== false) wrong.push(`${gone} should have been evicted`)
      pieces.delete(gone)
      stamps.delete(gone)
    }
  }
  for (let step = 0; step < 6000; step++) {
    // A few hot keys and many cold ones, as traffic has.
    const r = next() % 100
    const k = r < 60 ? `hot ${r % 6}` : key(next() % 400)
    const had = pieces.get(k)
    const p = c.piece(k)
    if (had !== undefined) {
      if (p !== had) wrong.push(`${k}: not the piece held`)
      if (clock - (stamps.get(k) as number) > order.length >> 1) {
        order.splice(order.indexOf(k), 1)
        order.push(k)
        stamps.set(k, clock++)
        refreshed++
      }
    } else if (p !== undefined) {
      pieces.set(k, p)
      order.push(k)
      stamps.set(k, clock++)
    }
    evict()
    if (p !== undefined && p.live && next() % 3 === 0) {
      c.remember(p, step, next() % 2 === 0 ? NOTHING : [step % 7])
      evict()
    }
    if (c.stats().entries !== order.length) wrong.push(`step ${step}: ${c.stats().entries} pieces held, the model ${order.length}`)
  }
  for (const k of order) if (pieces.get(k)?.live !== true) wrong.push(`${k} should still be held`)
  t.same(wrong, [], 'the cache evicts what the model does, in its order')
  t.ok(evictions > 200, `it evicted (${evictions})`)
  t.ok(refreshed > 500, `pieces were moved to the young end (${refreshed})`)
})

t.test('keys are copies of their own: a value sliced from a request body never keeps the body alive', async t => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const c = new ResultCache(1 << 30)
  const bodies = 4000
  gc()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < bodies; i++) {
    // A value as the form parser gives it: a slice (a view, for 13 characters or more) of a 16 KB body.
    const body = `f=${String(i).padStart(8, '0')}`.padEnd(16 * 1024, '&g=some ordinary text')
    if (i % 2 === 0) {
      pieceOf(c, body.slice(2, 60)) // seen twice: a piece
    } else {
      c.piece(body.slice(2, 61)) // seen once
    }
  }
  gc()
  const grown = process.memoryUsage().heapUsed - before
  const s = c.stats()
  t.same([s.entries, s.seenOnce], [bodies / 2, bodies / 2])
  t.comment(`heap grew ${grown} bytes for ${bodies} bodies of 16 KB; the cache counts ${s.bytes}`)
  t.ok(grown < bodies * 1024, 'the 64 MB of bodies are not kept')
  t.ok(s.bytes >= 0.7 * grown, 'the count is not under the heap it holds')
})

t.test('a copied key is the same key: two-byte and one-byte values, lone surrogates included, find their piece', async t => {
  const c = new ResultCache(1 << 20)
  for (const v of ['naïve café résumé ÿ', 'ünïcode → 𝄞 music', 'lone \ud800 surrogate here', 'plain ascii value, long enough']) {
    const body = `x=${v}&rest of the body`
    const p = pieceOf(c, body.slice(2, 2 + v.length))
    t.equal(c.piece(v), p, JSON.stringify(v))
    c.remember(p, 1, [4])
    t.same(c.verdict(c.piece(body.slice(2, 2 + v.length)) as ScanPiece, 1), [4])
  }
})

t.test('through the engine: form values remembered across requests do not keep their 32 KB bodies alive', async t => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const b = new RuleSetBuilder()
  for (let id = 1; id <= 4; id++) b.add(compileRule({ id, phase: 2, targets: ['ARGS'], operator: { name: 'rx', argument: `(?i)attack-${id}|union\\s+select` } }))
  const engine = new RuleEngine(b.build(), { mode: 'detect' })
  const request = (form: string): RequestInput => ({ method: 'POST', url: '/submit', rawHeaders: ['Host', 'shop.example', 'Content-Type', 'application/x-www-form-urlencoded'], body: { form }, remoteAddress: '127.0.0.1' })
  const bodies = 2000
  gc()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < bodies; i++) {
    const form = `comment=value number ${String(i).padStart(8, '0')}&pad=${'z'.repeat(32 * 1024)}`
    engine.check(request(form))
    engine.check(request(form)) // the second sighting makes the pieces
  }
  gc()
  const grown = process.memoryUsage().heapUsed - before
  const s = engine.resultCache?.stats()
  t.ok(s !== undefined && s.entries >= bodies, 'the comments were remembered')
  t.comment(`heap grew ${grown} bytes for ${bodies} bodies of 32 KB; the cache counts ${s?.bytes ?? 0}`)
  t.ok(grown < bodies * 4096, 'the 64 MB of bodies are not kept')
})
