import t from 'tap'
import { connectionOptions, dropRequestHopByHop, dropResponseHopByHop } from '../../../lib/proxy/hop-by-hop.js'

t.test('connectionOptions: comma-separated tokens, any case, each once', async t => {
  t.same(connectionOptions(' Keep-Alive , X-Private,,x-private'), ['keep-alive', 'x-private'])
  t.same(connectionOptions(['close', 'Upgrade']), ['close', 'upgrade'])
  t.same(connectionOptions(undefined), [])
})

t.test('requests lose every hop-by-hop field of RFC 9110 §7.6.1, Expect, and what Connection names', async t => {
  const headers = {
    host: 'up', connection: 'keep-alive, X-Private', 'keep-alive': 'timeout=5', 'proxy-connection': 'keep-alive',
    te: 'trailers', trailer: 'x', 'transfer-encoding': 'chunked', upgrade: 'websocket', expect: '100-continue',
    'x-private': '1', 'content-length': '3', 'x-request-id': 'id'
  }
  const before = { ...headers }
  const out = dropRequestHopByHop(headers)
  t.same(out, { host: 'up', 'content-length': '3', 'x-request-id': 'id' })
  t.not(out, headers, 'a new object (fields added to it stay cheap, see header-copy.ts)')
  t.same(headers, before, 'the given object is left as it was')
})

t.test('responses keep Expect (it is no response field) and drop the rest, names in any case', async t => {
  const headers = { Connection: 'close, X-Up', 'Keep-Alive': 'timeout=5', 'X-Up': '1', Upgrade: 'h2c', 'Transfer-Encoding': 'chunked', 'content-type': 'text/plain', date: 'd' }
  t.same(dropResponseHopByHop(headers), { 'content-type': 'text/plain', date: 'd' })
  t.same(dropResponseHopByHop({ 'content-length': '1' }), { 'content-length': '1' }, 'a message without any is untouched')
})

t.test('HTTP/2 pseudo-header fields never go upstream', async t => {
  t.same(dropRequestHopByHop({ ':method': 'GET', ':path': '/x', ':authority': 'shop', ':scheme': 'https', accept: '*/*' }), { accept: '*/*' })
})

t.test('connectionOptions: the common values answer alike on their fast path', async t => {
  t.same(connectionOptions('keep-alive'), connectionOptions(' keep-alive '))
  t.same(connectionOptions('close'), ['close'])
  t.ok(Object.isFrozen(connectionOptions('keep-alive')), 'a shared answer, not to be changed')
})

t.test('the same fields as lower-casing every name, over random heads (names of every case, the Kelvin sign, fields Connection names)', async t => {
  let s = 15
  const rnd = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32 }
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]
  const base = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect',
    'close', 'host', 'accept', 'cookie', 'referer', 'user-agent', 'x-up', 'x-forwarded-for', 'content-length', 'x-a']
  const spell = (n: string): string => [...n].map(c => c === 'k' && rnd() < 0.2 ? '\u212a' : rnd() < 0.3 ? c.toUpperCase() : c).join('')
  const reference = (h: Record<string, string>, dropped: readonly string[]): Record<string, string> => {
    const conn = Object.keys(h).filter(k => k.length === 10 && k.toLowerCase() === 'connection').pop()
    const listed = conn === undefined ? [] : connectionOptions(h[conn])
    return Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith(':') && !dropped.includes(k.toLowerCase()) && !listed.includes(k.toLowerCase())))
  }
  const ALWAYS = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']
  for (let n = 0; n < 3000; n++) {
    const h: Record<string, string> = {}
    const fields = 1 + Math.floor(rnd() * 10)
    for (let f = 0; f < fields; f++) h[rnd() < 0.05 ? ':path' : spell(pick(base))] = `v${f}`
    if (rnd() < 0.6) h[rnd() < 0.5 ? 'connection' : spell('connection')] = pick(['keep-alive', 'close', 'Keep-Alive, X-Up', 'x-a, CLOSE', 'te,user-agent', 'cookie'])
    const req = dropRequestHopByHop(h)
    const res = dropResponseHopByHop(h)
    const wantReq = reference(h, [...ALWAYS, 'expect'])
    const wantRes = reference(h, ALWAYS)
    if (JSON.stringify(req) !== JSON.stringify(wantReq) || JSON.stringify(res) !== JSON.stringify(wantRes)) {
      t.same([req, res], [wantReq, wantRes], JSON.stringify(h))
      return
    }
  }
  t.pass('3,000 heads')
})
