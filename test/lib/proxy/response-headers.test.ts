import t from 'tap'
import { responseHeadersOf } from '../../../lib/proxy/response-headers.js'

const raw = (...pairs: string[]): Buffer[] => pairs.map(p => Buffer.from(p, 'latin1'))

t.test('names lower-cased, repeated fields gathered in order, hop-by-hop and Connection-named fields dropped', async t => {
  const out = responseHeadersOf(raw(
    'Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Connection', 'close, X-Up', 'X-Up', 'secret',
    'set-cookie', 'b=2', 'Transfer-Encoding', 'chunked', 'Keep-Alive', 'timeout=5', 'Vary', 'accept', 'Connection', 'X-Other',
    'x-other', '1', 'SET-COOKIE', 'c=3'))
  t.same(out, { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2', 'c=3'], vary: 'accept' })
  t.same(Object.keys(out), ['content-type', 'set-cookie', 'vary'], 'in the order first seen')
})

t.test('values keep their bytes (latin1), and __proto__ is no field', async t => {
  const out = responseHeadersOf([Buffer.from('x-name'), Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9]), Buffer.from('__proto__'), Buffer.from('polluted')])
  t.equal(Buffer.from(out['x-name'] as string, 'latin1').toString('hex'), '636166c3a9', 'the upstream\'s bytes, as Node writes them back')
  t.equal(Object.getPrototypeOf(out), Object.prototype)
  t.equal(Object.keys(out).length, 1)
})

/** The plain reading: every name lower-cased as a new string, every Connection's names gathered first. */
function plainHeadersOf (raw: Buffer[]): Record<string, string | string[]> {
  const dropped = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', '__proto__'])
  const listed: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toString('latin1').toLowerCase() !== 'connection') continue
    for (const token of raw[i + 1].toString('latin1').split(',')) {
      const name = token.trim().toLowerCase()
      if (name.length > 0) listed.push(name)
    }
  }
  const out: Record<string, string | string[]> = {}
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString('latin1').toLowerCase()
    if (dropped.has(name) || listed.includes(name)) continue
    const value = raw[i + 1].toString('latin1')
    const prior = out[name]
    out[name] = prior === undefined ? value : typeof prior === 'string' ? [prior, value] : [...prior, value]
  }
  return out
}

t.test('random heads: the same fields, values and order as the plain reading, in one pass or two', async t => {
  // A seeded generator: a failure names the head that produced it.
  let seed = 15
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
  const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)]
  const anyCase = (s: string): string => [...s].map(c => rand(2) === 0 ? c.toUpperCase() : c).join('')
  const NAMES = ['content-type', 'content-length', 'date', 'set-cookie', 'vary', 'keep-alive', 'transfer-encoding', 'close',
    'x-up', 'x-other', 'te', 'upgrade', 'server', '__proto__', 'x-request-id', 'etag']
  const CONNECTION = ['keep-alive', 'Keep-Alive', 'close', 'upgrade', 'te, trailer', 'close, x-up', 'x-up', 'keep-alive, x-other', 'X-OTHER', '', ' , keep-alive']
  let twoPass = 0
  for (let k = 0; k < 3000; k++) {
    const pairs: string[] = []
    const fields = rand(9)
    for (let f = 0; f < fields; f++) {
      if (rand(5) === 0) pairs.push(anyCase('connection'), pick(CONNECTION))
      else pairs.push(anyCase(pick(NAMES)), `v${rand(100)}`)
    }
    const head = raw(...pairs)
    const expected = plainHeadersOf(head)
    const got = responseHeadersOf(head)
    if (pairs.some((p, i) => i % 2 === 1 && pairs[i - 1].toLowerCase() === 'connection' && !['keep-alive', 'upgrade', 'te, trailer', ''].includes(p.toLowerCase()))) twoPass++
    if (JSON.stringify(got) !== JSON.stringify(expected) || Object.getPrototypeOf(got) !== Object.prototype) {
      t.fail(`head ${JSON.stringify(pairs)}: ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`)
      return
    }
  }
  t.ok(twoPass > 300, `heads whose Connection names a field not dropped anyway: ${twoPass}`)
  t.pass('3000 heads agree')
})
