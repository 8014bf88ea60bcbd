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
