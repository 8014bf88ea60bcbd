import t from 'tap'
import fc from 'fast-check'
import { detectSQLi, detectXSS } from '../../../../lib/rules/libinjection/index.js'
import { cannotBeSqli, cannotBeXss } from '../../../../lib/rules/libinjection/shortcuts.js'
import { SqliState } from '../../../../lib/rules/libinjection/sqli-tokenizer.js'
import { isSqli } from '../../../../lib/rules/libinjection/sqli-check.js'
import { isXssIn } from '../../../../lib/rules/libinjection/xss-check.js'

/**
 * Properties of both detectors on any input: they never throw, a string and its UTF-8 bytes get
 * the same verdict, and the time grows linearly with the input even on adversarial runs.
 */

const SQL_BITS = ["'", '"', '`', '--', '#', '/*', '*/', '/*!', '(', ')', '\\', '@@', '$$', '1.e', 'union', 'select', ' or ', '1=1', '\0', '\xa0', '\xff', ';', '{', '}', '[', ']']
const HTML_BITS = ['<', '>', '/', '"', "'", '`', '=', ' ', '<!--', '-->', '<![CDATA[', ']]>', '<!doctype', '<?', '<%', '%>', 'on', 'onload', 'src', 'href=', 'javascript:', '&#x', '&#', ';', '\0', '\xff', 'svg', 'script']

const input = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.array(fc.constantFrom(...SQL_BITS, ...HTML_BITS), { maxLength: 60 }).map(a => Buffer.from(a.join(''), 'latin1')),
  fc.string({ unit: 'binary', maxLength: 200 }).map(s => Buffer.from(s, 'utf8'))
)

t.test('never throws, on bytes of any kind', async t => {
  fc.assert(fc.property(input, bytes => {
    const fp = detectSQLi(bytes)
    detectXSS(bytes)
    return fp === null || /^[A-Za-z0-9&()\\;,.:{}?X]{1,5}$/.test(fp) // up to five token types
  }), { numRuns: 3000 })
  t.pass('3000 inputs: no throw, every fingerprint up to five token types')
})

t.test('a string and its UTF-8 bytes get the same verdict', async t => {
  let checked = 0
  fc.assert(fc.property(fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.array(fc.constantFrom(...SQL_BITS, ...HTML_BITS, 'é', '€', '😀', 'ＳＥＬＥＣＴ'), { maxLength: 40 }).map(a => a.join(''))
  ), text => {
    const bytes = new TextEncoder().encode(text)
    checked++
    return detectSQLi(text) === detectSQLi(bytes) && detectXSS(text) === detectXSS(bytes)
  }), { numRuns: 1500 })
  t.equal(checked, 1500)
})

/**
 * The best of several measures of `run` on `value`, in ms per call: CPU time of this process
 * (process.cpuUsage), not wall time, so that another process taking the core does not count;
 * each measure repeats the call `reps` times.
 */
function best (run: (v: Uint8Array) => unknown, value: Uint8Array, reps: number, times: number): number {
  let min = Infinity
  for (let i = 0; i < times; i++) {
    const t0 = process.cpuUsage()
    for (let k = 0; k < reps; k++) run(value)
    const d = process.cpuUsage(t0)
    min = Math.min(min, (d.user + d.system) / 1000 / reps)
  }
  return min
}

const ADVERSARIAL: Array<[string, string]> = [
  ['single quotes', "'"], ['backslash quotes', "\\'"], ['double quotes', '"'], ['comment opens', '/*'],
  ['comment runs', '/**/'], ['dashes', '-'], ['parentheses', '('], ['closing parentheses', ')'], ['less-thans', '<'],
  ['tags', '<a '], ['slashes in a tag', '<a/'], ['attributes', ' a='], ['comment-ish', '<!-'], ['dollars', '$'],
  ['folding numbers', '1+'], ['unary operators', '-+'], ['on-attributes', ' onabcd']
]

for (const [name, unit] of ADVERSARIAL) {
  t.test(`linear time: 10 KB and 100 KB of ${name}`, async t => {
    const of = (n: number): Uint8Array => Buffer.from(unit.repeat(Math.ceil(n / unit.length)).slice(0, n), 'latin1')
    const small = of(10_000)
    const large = of(100_000)
    for (const [detector, run] of [['detectSQLi', detectSQLi], ['detectXSS', detectXSS]] as const) {
      run(large) // warm up
      // interleaved rounds, the best of each size: a busy machine slows single runs, not all of them
      let a = Infinity
      let b = Infinity
      for (let round = 0; round < 2; round++) {
        a = Math.min(a, best(run, small, 20, 3))
        b = Math.min(b, best(run, large, 2, 3))
      }
      const ratio = b / Math.max(a, 0.001)
      t.ok(ratio < 25, `${detector}: 10 KB in ${a.toFixed(3)} ms, 100 KB in ${b.toFixed(3)} ms: ratio ${ratio.toFixed(1)} (< 25)`)
    }
  })
}

t.test('the shortcuts (one-scan answers) agree with the full detectors', async t => {
  const sf = new SqliState()
  const full = (b: Uint8Array): boolean => {
    sf.init(b, b.length, 0)
    return isSqli(sf)
  }
  fc.assert(fc.property(fc.oneof(fc.stringMatching(/^[A-Za-z_]{1,40}$/), fc.stringMatching(/^[0-9]{1,40}$/), fc.constantFrom('select', 'UNION', 'or', 'and', 'null', 'true', 'int', 'char', 'DATABASE', '_utf', 'x', 'b', 'n', 'q', 'u', 'e', '0', '00', '1')), text => {
    const b = Buffer.from(text, 'latin1')
    return cannotBeSqli(b, b.length) && !full(b)
  }), { numRuns: 2000 })
  fc.assert(fc.property(fc.array(fc.constantFrom('a', ' ', '"', "'", '`', '/', '>', 'on', 'onload', 'href', 'src', 'style', 'javascript:', '&#', '!', '-', 'svg', 'script', '\0'), { maxLength: 30 }), parts => {
    const b = Buffer.from(parts.join(''), 'latin1')
    return cannotBeXss(b, b.length) && [0, 1, 2, 3, 4].every(flags => !isXssIn(b, b.length, flags))
  }), { numRuns: 2000 })
  t.pass('2000 words or numbers: never SQLi; 2000 inputs without < or =: never XSS')
})
