import t from 'tap'
import { compileIpMatch } from '../../../../../lib/rules/seclang/operators/ip-match.js'

t.test('IPv4 addresses and blocks, mapped addresses', async t => {
  const m = compileIpMatch('127.0.0.1, 10.0.0.0/8,192.168.1.0/24')
  t.equal(m('127.0.0.1'), true)
  t.equal(m('127.0.0.2'), false)
  t.equal(m('10.200.3.4'), true)
  t.equal(m('192.168.2.1'), false)
  t.equal(m('::ffff:10.1.1.1'), true)
  t.equal(m('not an ip'), false)
  t.equal(compileIpMatch('0.0.0.0/0')('8.8.8.8'), true)
})

t.test('IPv6 addresses and blocks', async t => {
  const m = compileIpMatch('::1,2001:db8::/32,fe80::1%eth0')
  t.equal(m('::1'), true)
  t.equal(m('2001:db8:ffff::1'), true)
  t.equal(m('2001:db9::1'), false)
  t.equal(m('fe80::1'), true)
  t.equal(m('127.0.0.1'), false, 'families do not mix')
  t.equal(compileIpMatch('::ffff:1.2.3.0/120')('::ffff:1.2.3.9'), false, 'a mapped client is compared as IPv4')
})

t.test('bad arguments throw at load time', async t => {
  t.throws(() => compileIpMatch('300.1.1.1'), /invalid IP address/)
  t.throws(() => compileIpMatch('10.0.0.0/33'), /invalid prefix length/)
  t.throws(() => compileIpMatch(''), /no address given/)
})
