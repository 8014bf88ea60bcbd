import t from 'tap'
import { forwardedTarget } from '../../../lib/proxy/request-target.js'

t.test('origin-form as it is, absolute-form as its path and query, the rest undefined', async t => {
  t.equal(forwardedTarget('/a/b?c=%27'), '/a/b?c=%27')
  t.equal(forwardedTarget('http://example.com/x?a=1'), '/x?a=1')
  t.equal(forwardedTarget('HTTPS://user@example.com:8443/p%2Fq'), '/p%2Fq', 'bytes untouched')
  t.equal(forwardedTarget('http://example.com'), '/')
  t.equal(forwardedTarget('http://example.com?q=1'), '/?q=1')
  t.equal(forwardedTarget('*'), undefined, 'asterisk-form')
  t.equal(forwardedTarget('example.com:443'), undefined, 'authority-form')
})
