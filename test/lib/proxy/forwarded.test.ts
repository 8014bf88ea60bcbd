import t from 'tap'
import { ALL_FORWARDED_HEADERS, appendForwardedFor, applyForwardedHeaders } from '../../../lib/proxy/forwarded.js'
import type { ForwardedFacts, OutgoingHeaders } from '../../../lib/proxy/forwarded.js'

const facts: ForwardedFacts = { peerAddress: '::ffff:10.0.0.2', clientIp: '203.0.113.7', proto: 'https', host: 'shop.example:8443', clientHost: 'shop.example' }

t.test('every header by default, as nginx operators set them', async t => {
  const h: OutgoingHeaders = { host: 'upstream:3000', 'x-forwarded-for': '203.0.113.7' }
  const out = applyForwardedHeaders(h, facts, ALL_FORWARDED_HEADERS, false)
  t.equal(out, h, 'the object is edited in place, for the next rewrite to compose')
  t.same(out, {
    host: 'upstream:3000',
    'x-forwarded-for': '203.0.113.7, 10.0.0.2',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'shop.example:8443',
    'x-real-ip': '203.0.113.7'
  })
})

t.test('preserveHost puts the client\'s Host back', async t => {
  t.equal(applyForwardedHeaders({ host: 'upstream:3000' }, facts, ALL_FORWARDED_HEADERS, true).host, 'shop.example')
  t.equal(applyForwardedHeaders({ host: 'upstream:3000' }, { ...facts, clientHost: undefined }, ALL_FORWARDED_HEADERS, true).host, 'upstream:3000', 'no client Host: the upstream\'s stays')
})

t.test('each header can be turned off; a client\'s own copy of a header that is off is left alone', async t => {
  const off = { xForwardedFor: false, xForwardedProto: false, xForwardedHost: false, xRealIp: false }
  t.same(applyForwardedHeaders({ host: 'u', 'x-real-ip': '1.2.3.4' }, facts, off, false), { host: 'u', 'x-real-ip': '1.2.3.4' })
  t.same(Object.keys(applyForwardedHeaders({}, facts, { ...off, xRealIp: true }, false)), ['x-real-ip'])
})

t.test('X-Forwarded-For: several header lines are one list; blanks are not kept', async t => {
  t.equal(appendForwardedFor(undefined, '10.0.0.2'), '10.0.0.2')
  t.equal(appendForwardedFor('  ', '10.0.0.2'), '10.0.0.2')
  t.equal(appendForwardedFor(['1.1.1.1', '2.2.2.2'], '10.0.0.2'), '1.1.1.1, 2.2.2.2, 10.0.0.2')
  t.equal(appendForwardedFor('1.1.1.1,2.2.2.2', '::1'), '1.1.1.1,2.2.2.2, ::1')
})
