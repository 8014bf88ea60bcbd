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
