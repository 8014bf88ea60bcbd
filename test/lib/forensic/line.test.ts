import t from 'tap'
import fc from 'fast-check'
import { formatPlusLine, formatMinusLine, formatRequestPlusLine, mergeHeaders, REDACTED } from '../../../lib/forensic/line.js'
import { parseForensicLine, lineId } from '../../../lib/forensic/parse.js'
import type { ForensicStart } from '../../../lib/forensic/parse.js'
import { HeaderNameSet, asciiLower } from '../../../lib/forensic/headers.js'
import { forensicEscape } from '../../../lib/forensic/escape.js'
import { assertLinear } from '../../helpers/linear.js'

const ID = 'awIqpQezieFh_2VZJOdhSQAAAAE'

function flat (h: Array<[string, string]>): string[] {
  return h.flatMap(([k, v]) => [k, v])
}

t.test('the "+" line is +ID|request line|Name:value…', async t => {
  const line = formatPlusLine(ID, 'GET /p?q=1 HTTP/1.1', ['Host', 'localhost:8080', 'User-Agent', 'curl/8', 'Accept', '*/*'])
  t.equal(line, `+${ID}|GET /p?q=1 HTTP/1.1|Host:localhost%3a8080|User-Agent:curl/8|Accept:*/*`)
  t.equal(formatMinusLine(ID), `-${ID}`)
  t.equal(formatPlusLine(ID, 'GET / HTTP/1.0', []), `+${ID}|GET / HTTP/1.0`, 'no headers')
})

t.test('duplicate names merge at the first occurrence, whatever their case', async t => {
  const line = formatPlusLine(ID, 'GET / HTTP/1.1', ['Host', 'a', 'X-A', '1', 'Cookie', 'a=1', 'x-a', '2', 'cookie', 'b=2', 'X-A', ''])
  t.equal(line, `+${ID}|GET / HTTP/1.1|Host:a|X-A:1, 2, |Cookie:a=1, b=2`)
})

t.test('many headers: duplicates found in linear time, order kept', async t => {
  const raw: string[] = []
  for (let i = 0; i < 2000; i++) raw.push(`X-${i}`, String(i))
  raw.push('x-7', 'again')
  const entry = parseForensicLine(formatPlusLine(ID, 'GET / HTTP/1.1', raw)) as ForensicStart
  t.equal(entry.headers.length, 2000)
  t.same(entry.headers[7], ['X-7', '7, again'])
  t.same(entry.headers[1999], ['X-1999', '1999'])
  const unique = parseForensicLine(formatPlusLine(ID, 'GET / HTTP/1.1', raw.slice(0, -2))) as ForensicStart
  t.equal(unique.headers.length, 2000)
  const headers = (n: number): string[] => Array.from({ length: n }, (_, i) => [`X-${i % (n / 2)}`, String(i)]).flat()
  // A new redaction set each call, so that the headers' part kept from the last line is never
  // reused: what is timed is finding and merging the repeats.
  assertLinear(t, 'a plus line of n headers, half of them repeats', raw => parseForensicLine(formatPlusLine(ID, 'GET / HTTP/1.1', raw, new HeaderNameSet([]))), headers, { small: 1000, large: 10_000 })
})

t.test('redacted headers keep their name and lose their value', async t => {
  const redact = new HeaderNameSet(['Authorization', 'proxy-authorization'])
  const line = formatPlusLine(ID, 'GET / HTTP/1.1', ['AUTHORIZATION', 'Basic dTpw', 'Proxy-Authorization', 'x', 'X', 'y'], redact)
  t.equal(line, `+${ID}|GET / HTTP/1.1|AUTHORIZATION:${REDACTED}|Proxy-Authorization:${REDACTED}|X:y`)
  const merged = formatPlusLine(ID, 'GET / HTTP/1.1', ['authorization', 'a', 'Authorization', 'b'], redact)
  t.equal(merged, `+${ID}|GET / HTTP/1.1|authorization:${REDACTED}`, 'merged, then redacted once')
  t.equal(formatPlusLine(ID, 'GET / HTTP/1.1', ['Authorization', 'a'], new HeaderNameSet([])), `+${ID}|GET / HTTP/1.1|Authorization:a`)
})

t.test('hostile bytes cannot forge a field or a line', async t => {
  const evil = 'v|Forged:1\r\n-' + ID + '\n+' + ID + '|GET / HTTP/1.1\x00\xff%'
  const line = formatPlusLine(ID, 'GET /a|b:c HTTP/1.1', ['X|Y', evil, 'A:B', ':'])
  t.equal(line.split('|').length, 4, 'one request line and two headers')
  t.notMatch(line, /[\r\n\x00]/)
  const e = parseForensicLine(line) as ForensicStart
  t.equal(e.requestLine, 'GET /a|b:c HTTP/1.1')
  t.same(e.headers, [['X|Y', evil], ['A:B', ':']])
})

t.test('ASCII-only case folding, like strcasecmp in the C locale', async t => {
  t.equal(asciiLower('ÀBC'), 'Àbc')
  const line = formatPlusLine(ID, 'GET / HTTP/1.1', ['À', '1', 'à', '2'])
  t.equal(line, `+${ID}|GET / HTTP/1.1|%c0:1|%e0:2`, 'latin1 letters are different names')
})

const byteString = (max: number): fc.Arbitrary<string> =>
  fc.uint8Array({ maxLength: max }).map(b => Buffer.from(b).toString('latin1'))

t.test('property: parse(format(x)) equals x over random bytes', async t => {
  const uniqueHeaders = fc.uniqueArray(fc.tuple(byteString(24), byteString(64)), {
    maxLength: 24,
    selector: ([name]) => asciiLower(name)
  })
  fc.assert(fc.property(byteString(200), uniqueHeaders, (requestLine, headers) => {
    const line = formatPlusLine(ID, requestLine, flat(headers))
    const e = parseForensicLine(line) as ForensicStart
    return e.phase === '+' && e.id === ID && e.requestLine === requestLine &&
      JSON.stringify(e.headers) === JSON.stringify(headers)
  }), { numRuns: 2000 })
  t.pass('2000 runs')
})

t.test('property: with repeated names, parse(format(x)) equals merge(x)', async t => {
  const names = fc.constantFrom('Host', 'host', 'X-A', 'x-a', 'Cookie', 'COOKIE', 'a|b', 'A|B')
  const headers = fc.array(fc.tuple(names, byteString(16)), { maxLength: 40 })
  fc.assert(fc.property(headers, h => {
    const e = parseForensicLine(formatPlusLine(ID, 'GET / HTTP/1.1', flat(h))) as ForensicStart
    return JSON.stringify(e.headers) === JSON.stringify(mergeHeaders(h))
  }), { numRuns: 1000 })
  t.pass('1000 runs')
})

t.test('property: no line holds a raw LF, CR, or a | that is not a separator', async t => {
  fc.assert(fc.property(byteString(100), fc.array(fc.tuple(byteString(20), byteString(40)), { maxLength: 12 }), (rl, h) => {
    const line = formatPlusLine(ID, rl, flat(h))
    if (line.includes('\n') || line.includes('\r')) return false
    // Separators: one after the id, one before each merged header.
    const bars = line.split('|').length - 1
    return bars === 1 + mergeHeaders(h).length
  }), { numRuns: 2000 })
  t.pass('2000 runs')
})

t.test('property: the line from request-line parts equals the line from the whole request line', async t => {
  const redact = new HeaderNameSet(['authorization'])
  const headers = fc.array(fc.tuple(fc.oneof(byteString(12), fc.constantFrom('Host', 'host', 'Authorization')), byteString(24)), { maxLength: 10 })
  fc.assert(fc.property(byteString(12), byteString(80), byteString(4), headers, (method, target, version, h) => {
    const raw = flat(h)
    return formatRequestPlusLine(ID, method, target, version, raw, redact) === formatPlusLine(ID, `${method} ${target} HTTP/${version}`, raw, redact)
  }), { numRuns: 2000 })
  t.pass('2000 runs')
})

t.test('parse refuses lines that are not forensic lines', async t => {
  t.throws(() => parseForensicLine(''), SyntaxError)
  t.throws(() => parseForensicLine('GET / HTTP/1.1'), SyntaxError)
  t.throws(() => parseForensicLine('+'), SyntaxError)
  t.throws(() => parseForensicLine(`+${ID}|GET / HTTP/1.1|NoColon`), SyntaxError)
  t.throws(() => parseForensicLine(`+${ID}|GET / HTTP/1.1|X:%zz`), SyntaxError)
  t.throws(() => parseForensicLine('-'), SyntaxError)
  t.same(parseForensicLine(`-${ID}`), { phase: '-', id: ID })
  // httpd without mod_unique_id writes pid:time:counter ids.
  t.same(parseForensicLine('+1a2b:6921c0de:3|GET / HTTP/1.1'), { phase: '+', id: '1a2b:6921c0de:3', requestLine: 'GET / HTTP/1.1', headers: [] })
})

t.test('lineId reads the id up to the first |, like check_forensic', async t => {
  t.same(lineId(`+${ID}|GET / HTTP/1.1`), { phase: '+', id: ID })
  t.same(lineId(`-${ID}`), { phase: '-', id: ID })
  t.equal(lineId('garbage'), undefined)
  t.equal(lineId('+|x'), undefined)
})

/** The "+" line written out from its definition: merged names, each escaped, redacted names' values replaced. */
function referencePlusLine (id: string, requestLine: string, raw: readonly string[], redact: readonly string[]): string {
  const pairs: Array<[string, string]> = []
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]])
  const hidden = new Set(redact.map(asciiLower))
  return `+${id}|${forensicEscape(requestLine)}` +
    mergeHeaders(pairs).map(([n, v]) => `|${forensicEscape(n)}:${hidden.has(asciiLower(n)) ? REDACTED : forensicEscape(v)}`).join('')
}

t.test('a request that repeats the previous one\'s headers gets the same line as from scratch', async t => {
  // The headers' part of the last line is kept and reused for the same list and redaction set:
  // each step repeats the previous list (fresh strings), changes some entries, changes the
  // previous list in place after its line was written, or switches the redaction set.
  const names = fc.constantFrom('Host', 'host', 'User-Agent', 'Cookie', 'Authorization', 'X-A', 'a|b', 'Bad:Name')
  const value = fc.constantFrom('shop.example', 'curl/8', 'a=1; b=2', 'Basic dTpw', 'x|y', '%41', '\xc3\xa9', '\r\n', '', 'v')
  const list = fc.array(fc.tuple(names, value), { maxLength: 8 }).map(flat)
  const sets: Array<readonly string[]> = [[], ['authorization', 'cookie'], ['Cookie']]
  const redactSets = [...sets.map(s => new HeaderNameSet(s)), new HeaderNameSet(['authorization', 'cookie'])]
  const redactNames = [...sets, ['authorization', 'cookie']]
  const step = fc.record({
    kind: fc.constantFrom('same', 'edit', 'new', 'mutate'),
    list,
    at: fc.nat(20),
    value,
    redact: fc.oneof(fc.constant(-1), fc.nat(redactSets.length - 1))
  })
  let lines = 0
  let reused = 0
  const r = fc.check(fc.property(fc.array(step, { minLength: 2, maxLength: 25 }), steps => {
    let raw: string[] = []
    let redact = -1
    for (const s of steps) {
      if (s.kind === 'same') raw = raw.map(x => (' ' + x).slice(1))
      else if (s.kind === 'edit' && raw.length > 0) raw = raw.map((x, i) => i === s.at % raw.length ? s.value : x)
      else if (s.kind === 'mutate' && raw.length > 0) raw[s.at % raw.length] = s.value
      else raw = s.list
      if (s.redact !== -1) redact = s.redact
      const set = redact === -1 ? undefined : redactSets[redact]
      const want = referencePlusLine(ID, 'GET /p?q=1 HTTP/1.1', raw, redact === -1 ? [] : redactNames[redact])
      const got = formatRequestPlusLine(ID, 'GET', '/p?q=1', '1.1', raw, set)
      if (got !== want) throw new Error(`differ:\n${want}\n${got}`)
      if (s.kind === 'same' || s.kind === 'mutate') reused++
      lines++
    }
  }), { numRuns: 500 })
  t.notOk(r.failed, r.failed ? `${String(r.errorInstance)}\non ${JSON.stringify(r.counterexample)}` : 'no counterexample')
  t.ok(lines > 3000 && reused > 1000, `${lines} lines, ${reused} after a repeated or changed-in-place list, each the line from its definition`)
})
