import t from 'tap'
import { COMMON_FIELD_NAMES, fieldNameOf } from '../../../lib/proxy/header-names.js'

/** What a name's bytes read as without the table: latin1, lower-cased. */
const plain = (b: Buffer): string => b.toString('latin1').toLowerCase()

/** A deterministic generator, so that a failure names a case that can be run again. */
function lcg (seed: number): () => number {
  let s = seed >>> 0
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32 }
}

/** Every common name in several cases, and with each byte replaced by the bytes a careless case test would confuse with it. */
function corpus (): Buffer[] {
  const rnd = lcg(15)
  const out: Buffer[] = []
  for (const name of COMMON_FIELD_NAMES) {
    const bytes = Buffer.from(name, 'latin1')
    out.push(bytes, Buffer.from(name.toUpperCase(), 'latin1'))
    out.push(Buffer.from(name.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase()), 'latin1'))
    for (let k = 0; k < 4; k++) out.push(Buffer.from([...bytes].map(b => rnd() < 0.5 && b >= 97 && b <= 122 ? b - 32 : b)))
    for (let j = 0; j < bytes.length; j++) {
      const b = bytes[j]
      // The other case bit, 0x20 either way; a latin1 letter (lower-cases to non-ASCII); a byte off by one.
      for (const x of [b ^ 0x20, b - 32, b + 32, 0xc0 + (b % 31), b + 1, b - 1]) {
        if (x < 0 || x > 255 || x === b) continue
        const v = Buffer.from(bytes)
        v[j] = x
        out.push(v)
      }
    }
    out.push(bytes.subarray(0, bytes.length - 1), Buffer.concat([bytes, Buffer.from('s')]), Buffer.concat([Buffer.from('x'), bytes.subarray(1)]))
  }
  for (const other of ['X-Custom', 'x-trace', '', 'A', 'ÀGE', 'dAtE', 'DATE\r', '\u00c4ge']) out.push(Buffer.from(other, 'latin1'))
  return out
}

t.test('a name reads as the same string as latin1 lower-cased, for every common name and its near misses', async t => {
  const cases = corpus()
  let differ = 0
  let known = 0
  for (const b of cases) {
    const got = fieldNameOf(b)
    if (got !== plain(b)) {
      differ++
      if (differ < 5) t.fail(`${b.toString('hex')}: ${JSON.stringify(got)} vs ${JSON.stringify(plain(b))}`)
    }
    if (COMMON_FIELD_NAMES.includes(got)) known++
  }
  t.equal(differ, 0, `${cases.length} names`)
  t.ok(known > COMMON_FIELD_NAMES.length * 7, 'the corpus reaches the table in many cases')
})
