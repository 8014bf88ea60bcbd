import t from 'tap'
import { redactRedisUrl, redisUrlProblem } from '../../../lib/rate-limit/redis-url.js'

t.test('redis:// and rediss:// with host, port and database', async t => {
  for (const ok of ['redis://127.0.0.1:6379/0', 'rediss://redis.internal:6380/15', 'redis://:pw@[::1]:6379', 'redis://u:p@h/', 'redis://h']) {
    t.equal(redisUrlProblem(ok), undefined, ok)
  }
  const bad: Array<[unknown, RegExp]> = [
    ['', /redis:\/\/host:port\/db/], [7, /redis:\/\/host:port\/db/], ['127.0.0.1:6379', /redis:\/\/host:port\/db/],
    ['http://127.0.0.1:6379', /with redis: or rediss: \(got http:\)/], ['redis//h:1', /redis:\/\/host:port\/db/],
    ['redis://h:1/db0', /database number/], ['redis://h:1/0/x', /database number/], ['redis://h:1/0?family=6', /query/],
    ['redis:///0', /must name a host/]
  ]
  for (const [url, re] of bad) t.match(redisUrlProblem(url), re, JSON.stringify(url))
})

t.test('a password never reaches a log', async t => {
  t.equal(redactRedisUrl('redis://:s3cret@10.0.0.7:6379/0'), 'redis://:REDACTED@10.0.0.7:6379/0')
  t.equal(redactRedisUrl('rediss://user:s3cret@h:6380/1'), 'rediss://user:REDACTED@h:6380/1')
  t.equal(redactRedisUrl('redis://h:6379/0'), 'redis://h:6379/0')
  t.equal(redactRedisUrl('redis//:s3cret@h'), '(invalid URL)')
})
