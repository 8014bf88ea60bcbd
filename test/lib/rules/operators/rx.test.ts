import t from 'tap'
import { op, TestContext } from '../match-context.js'
import { assertLinear } from '../../../helpers/linear.js'

t.test('rx matches with RE2 and reports the matched text', async t => {
  const o = op('rx', '(?i)union\\s+select')
  const ctx = new TestContext()
  t.ok(o.match("1' UNION  SELECT 2", ctx))
  t.equal(ctx.matched, 'UNION  SELECT')
  t.ok(o.match('reunion selected', new TestContext()), 'rx is unanchored: word boundaries are the pattern\'s job')
  t.notOk(o.match('nothing here', new TestContext()))
  t.equal(o.prefilter, '(?i)union\\s+select', 'a constant pattern is its own prefilter')
})

t.test('rx with capture sets TX.0 to TX.9', async t => {
  const o = op('rx', '(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)')
  const ctx = new TestContext(true)
  t.ok(o.match('abcdefghijk', ctx))
  t.equal(ctx.tx.get('0'), 'abcdefghijk')
  t.equal(ctx.tx.get('1'), 'a')
  t.equal(ctx.tx.get('9'), 'i')
  t.notOk(ctx.tx.has('10'), 'only ten captures')
})

t.test('rx rejects what RE2 cannot run in linear time', async t => {
  t.throws(() => op('rx', '(a)\\1'), /invalid escape|backreference/i, 'backreference')
  t.throws(() => op('rx', 'a(?=b)'), /perl operator|\(\?=/, 'lookahead')
  t.throws(() => op('rx', '(?<!a)b'), /perl operator|\(\?</, 'lookbehind')
  t.throws(() => op('rx', '(unclosed'), /missing \)|parenthes/i, 'syntax error')
})

t.test('rx matches bytes: \\xNN and non-ASCII literals', async t => {
  t.ok(op('rx', '\\xc3\\xa9').match('caf\xc3\xa9', new TestContext()), 'a UTF-8 byte pair in a byte string')
  t.ok(op('rx', 'caf\u00e9').match('caf\xc3\xa9', new TestContext()), 'a literal é matches its UTF-8 bytes')
})

t.test('rx with a macro compiles each distinct expansion once', async t => {
  const o = op('rx', '^%{tx.allowed}$')
  t.equal(o.prefilter, undefined, 'no prefilter for a dynamic pattern')
  const ctx = new TestContext()
  ctx.tx.set('allowed', 'GET|POST')
  t.ok(o.match('GET', ctx))
  t.notOk(o.match('PUT', ctx))
  ctx.tx.set('allowed', 'PUT')
  t.ok(o.match('PUT', ctx))
})

t.test('expanding() builds once per distinct expansion and bounds its cache', async t => {
  const { expanding } = await import('../../../../lib/rules/operators/dynamic.js')
  const { compileMacro } = await import('../../../../lib/rules/macro.js')
  let builds = 0
  const get = expanding(compileMacro('%{tx.p}'), text => { builds++; return text })
  const ctx = new TestContext()
  for (let i = 0; i < 1000; i++) {
    ctx.tx.set('p', i % 2 === 0 ? 'a' : 'b')
    get(ctx)
  }
  t.equal(builds, 2, 'two expansions, two builds')
  for (let i = 0; i < 200; i++) {
    ctx.tx.set('p', `v${i}`)
    get(ctx)
  }
  t.equal(builds, 202)
  ctx.tx.set('p', 'a')
  get(ctx)
  t.equal(builds, 203, 'old expansions were evicted (the cache is bounded)')
})

t.test('rx is linear on 100 KB adversarial input', async t => {
  const o = op('rx', '(a+)+$')
  const ctx = new TestContext()
  t.notOk(o.match('a'.repeat(1e5) + '!', ctx))
  assertLinear(t, '(a+)+$ on a…!', (s: string) => o.match(s, ctx), n => 'a'.repeat(n - 1) + '!')
})

t.test('whole-value idioms (^.*$, ^$) and the dot answer exactly as RE2 does, capture included', async t => {
  const { default: RE2 } = await import('re2')
  const fc = (await import('fast-check')).default
  const unit = fc.constantFrom('a', 'B', ' ', '\n', '\r', '\u00e9', '$', '.', '\ud83d\ude00')
  for (const pattern of ['^.*$', '^$', '.']) {
    const re = new RE2(pattern)
    const o = op('rx', pattern)
    t.equal(o.prefilter, pattern, `${pattern} keeps its prefilter`)
    fc.assert(fc.property(fc.string({ unit, maxLength: 12 }), s => {
      const ctx = new TestContext(true)
      const m = re.exec(s)
      return o.match(s, ctx) === (m !== null) && (m === null || (ctx.matched === m[0] && ctx.tx.get('0') === m[0]))
    }), { numRuns: 3000 })
    t.pass(`${pattern} agrees with RE2 on random values`)
  }
})
