import t from 'tap'
import { IncompleteRequestChecker, LineSplitter } from '../../../lib/forensic/checker.js'

function check (text: string | Buffer, chunk = 7, max?: number): IncompleteRequestChecker {
  const c = new IncompleteRequestChecker()
  const s = new LineSplitter(l => c.add(l), () => c.skipOverlong(), max)
  const buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : text
  for (let i = 0; i < buf.length; i += chunk) s.push(buf.subarray(i, i + chunk))
  s.end()
  return c
}

t.test('requests without a "-" line are reported, sorted by id', async t => {
  const log = [
    '+B|GET /b HTTP/1.1|Host:x',
    '+A|GET /a HTTP/1.1|Host:x',
    '+C|GET /c HTTP/1.1|Host:x',
    '-A',
    '+D|GET /d HTTP/1.1',
    '-D'
  ].join('\n') + '\n'
  for (const chunk of [1, 3, 7, 1000]) {
    const c = check(log, chunk)
    t.same(c.incomplete(), [
      { id: 'B', lines: ['+B|GET /b HTTP/1.1|Host:x'] },
      { id: 'C', lines: ['+C|GET /c HTTP/1.1|Host:x'] }
    ], `chunks of ${chunk}`)
    const s = c.summary()
    t.match(s, { lines: 6, requests: 4, completed: 2, incomplete: 2, incompleteIds: ['B', 'C'], unmatchedEnds: 0, other: 0 })
  }
})

t.test('a last line without newline is read; bytes are kept as they are', async t => {
  const c = check(Buffer.concat([Buffer.from('+X|GET /\xff HTTP/1.1', 'latin1')]))
  t.same(c.incomplete()[0].lines, ['+X|GET /\xff HTTP/1.1'])
})

t.test('a "-" before its "+" (a log begun mid-request) completes it', async t => {
  const c = check('-A\n+A|GET / HTTP/1.1\n+B|GET / HTTP/1.1\n')
  t.same(c.summary().incompleteIds, ['B'])
  t.equal(c.summary().unmatchedEnds, 1)
  t.equal(c.summary().completed, 1)
})

t.test('other lines are counted, not reported', async t => {
  const c = check('hello\n\n+A|GET / HTTP/1.1\n|x\n')
  t.match(c.summary(), { lines: 4, other: 3, incomplete: 1 })
})

t.test('a repeated id keeps every "+" line', async t => {
  const c = check('+A|GET /1 HTTP/1.1\n+A|GET /2 HTTP/1.1\n')
  t.same(c.incomplete(), [{ id: 'A', lines: ['+A|GET /1 HTTP/1.1', '+A|GET /2 HTTP/1.1'] }])
  t.equal(c.summary().incomplete, 2)
  const done = check('+A|GET /1 HTTP/1.1\n+A|GET /2 HTTP/1.1\n-A\n')
  t.equal(done.summary().completed, 2)
})

t.test('lines over the limit are skipped and counted, memory stays bounded', async t => {
  const long = '+L|GET /' + 'x'.repeat(500) + ' HTTP/1.1'
  for (const chunk of [10, 64, 4096]) {
    const c = check(`+A|GET / HTTP/1.1\n${long}\n+B|GET / HTTP/1.1\n${long}`, chunk, 100)
    t.match(c.summary(), { lines: 4, overlong: 2, incompleteIds: ['A', 'B'] }, `chunks of ${chunk}`)
  }
})

t.test('memory follows open requests: a long log of completed requests holds nothing', async t => {
  const c = new IncompleteRequestChecker()
  let peak = 0
  for (let i = 0; i < 200_000; i++) {
    c.add(`+id${i}|GET /${i} HTTP/1.1|Host:x`)
    peak = Math.max(peak, c.openCount)
    if (i % 2 === 1) {
      c.add(`-id${i - 1}`)
      c.add(`-id${i}`)
    }
  }
  t.equal(peak, 2)
  t.equal(c.openCount, 0)
})
