import t from 'tap'
import { forwardedTarget, hasDotDotSegment } from '../../../lib/proxy/request-target.js'

t.test('origin-form as it is, absolute-form as its path and query, the rest undefined', async t => {
  t.equal(forwardedTarget('/a/b?c=%27'), '/a/b?c=%27')
  t.equal(forwardedTarget('http://example.com/x?a=1'), '/x?a=1')
  t.equal(forwardedTarget('HTTPS://user@example.com:8443/p%2Fq'), '/p%2Fq', 'bytes untouched')
  t.equal(forwardedTarget('http://example.com'), '/')
  t.equal(forwardedTarget('http://example.com?q=1'), '/?q=1')
  t.equal(forwardedTarget('*'), undefined, 'asterisk-form')
  t.equal(forwardedTarget('example.com:443'), undefined, 'authority-form')
})

t.test('a `..` path segment, dots encoded or not, is found; one in the query or inside a name is not', async t => {
  for (const p of ['/a/../b', '/..', '/a/..', '/%2e%2e/etc', '/a/.%2E/b', '/a/%2E./b']) t.equal(hasDotDotSegment(p), true, p)
  for (const p of ['/a/b', '/search?q=../etc/passwd', '/a/...', '/a/..b/c', '/[...slug]', '/a.b/c', '/%41']) t.equal(hasDotDotSegment(p), false, p)
})
