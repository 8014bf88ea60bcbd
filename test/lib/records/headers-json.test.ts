import t from 'tap'
import fc from 'fast-check'
import { requestHeadersJson, responseHeadersJson } from '../../../lib/records/headers-json.js'
import { requestHeaders, responseHeaders } from '../../../lib/records/record-parts.js'
import { jsonLine } from '../../../lib/log/writers/json.js'

/**
 * The response header JSON reused from the previous block around a new request id (a gateway's
 * `x-request-id`) must be exactly the JSON of the block's object form, whatever came before it.
 */
const reference = (block: string, redact: ReadonlySet<string>): string => JSON.stringify(responseHeaders(block, redact))

const none: ReadonlySet<string> = new Set()
const redactId: ReadonlySet<string> = new Set(['x-request-id'])

function gateway (id: string, length = '17', date = 'Mon, 07 Dec 2026 12:00:00 GMT'): string {
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: ${id}\r\ndate: ${date}\r\ncontent-length: ${length}\r\nConnection: keep-alive\r\n\r\n`
}

const ID = (n: number): string => `Zt${String(n).padStart(4, '0')}AAAAAAAAAAAAAAAAAAAAA`

t.test('a sequence of blocks, each against the object form, ids in every kind of place', async t => {
  const steps: Array<[string, string, ReadonlySet<string>]> = [
    [gateway(ID(1)), ID(1), none],
    [gateway(ID(2)), ID(2), none],
    [gateway(ID(3)), ID(3), none],
    // Same length, the id at the same place, another value changed: not the previous JSON.
    [gateway(ID(4), '18'), ID(4), none],
    [gateway(ID(5), '19'), ID(5), none],
    [gateway(ID(6), '19', 'Mon, 07 Dec 2026 12:00:01 GMT'), ID(6), none],
    // An id of another length; then none at all.
    [gateway('short'), 'short', none],
    [gateway('shorx'), 'shorx', none],
    [gateway(ID(7)), '', none],
    [gateway(ID(8)), ID(8), none],
    // The id header redacted, then not.
    [gateway(ID(9)), ID(9), redactId],
    [gateway(ID(10)), ID(10), redactId],
    [gateway(ID(11)), ID(11), none],
    // The id in the middle of a value, after leading spaces, at the end of the block.
    ['HTTP/1.1 200 OK\r\nX-Trace: a-' + ID(12) + '-b\r\n\r\n', ID(12), none],
    ['HTTP/1.1 200 OK\r\nX-Trace: a-' + ID(13) + '-b\r\n\r\n', ID(13), none],
    ['HTTP/1.1 200 OK\r\nX-Request-Id:\t  ' + ID(14) + '\r\n\r\n', ID(14), none],
    ['HTTP/1.1 200 OK\r\nX-Request-Id:\t  ' + ID(15) + '\r\n\r\n', ID(15), none],
    // The id where the JSON escapes the value around it (not written as it is): no reuse.
    ['HTTP/1.1 200 OK\r\nX-Up: \xc3\xa9"' + ID(16) + '\\\r\n\r\n', ID(16), none],
    ['HTTP/1.1 200 OK\r\nX-Up: \xc3\xa9"' + ID(17) + '\\\r\n\r\n', ID(17), none],
    // The id first in a header name (lowercased there), then in a value.
    ['HTTP/1.1 200 OK\r\n' + ID(18) + ': 1\r\nX-Request-Id: ' + ID(18) + '\r\n\r\n', ID(18), none],
    ['HTTP/1.1 200 OK\r\n' + ID(19) + ': 1\r\nX-Request-Id: ' + ID(19) + '\r\n\r\n', ID(19), none],
    // Repeated names (an array) and index-like names (ordered first) around the id.
    ['HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nX-Request-Id: ' + ID(20) + '\r\nSet-Cookie: b\r\n\r\n', ID(20), none],
    ['HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nX-Request-Id: ' + ID(21) + '\r\nSet-Cookie: b\r\n\r\n', ID(21), none],
    ['HTTP/1.1 200 OK\r\n9: x\r\nX-Request-Id: ' + ID(22) + '\r\n\r\n', ID(22), none],
    ['HTTP/1.1 200 OK\r\n9: x\r\nX-Request-Id: ' + ID(23) + '\r\n\r\n', ID(23), none],
    // A previous id past ASCII kept a value latin1 (not valid UTF-8); the next, ASCII, makes it UTF-8.
    ['HTTP/1.1 200 OK\r\nX-Request-Id: A\xe9A\xc3\xa9\r\n\r\n', 'A\xe9A', none],
    ['HTTP/1.1 200 OK\r\nX-Request-Id: z9z\xc3\xa9\r\n\r\n', 'z9z', none],
    ['HTTP/1.1 200 OK\r\nX-Request-Id: z9y\xc3\xa9\r\n\r\n', 'z9y', none],
    // An id that is not base64url: characters that would change the JSON or the line.
    [gateway(ID(24)), ID(24), none],
    [gateway('Zt0025AAAAAAAAAAAAAAAAAA"\\A'), 'Zt0025AAAAAAAAAAAAAAAAAA"\\A', none],
    [gateway(ID(26)), ID(26), none],
    [gateway('Zt0027AAAAAAAAAAAAAAAAAAA\xe9A'), 'Zt0027AAAAAAAAAAAAAAAAAAA\xe9A', none],
    [gateway(ID(28)), ID(28), none],
    [gateway('Zt0029AAAAAAAAAAAAAAAAAAA A'), 'Zt0029AAAAAAAAAAAAAAAAAAA A', none],
    // The same block again, and the id held elsewhere than before in a block of the same length.
    [gateway(ID(30)), ID(30), none],
    [gateway(ID(30)), ID(30), none],
    [gateway('1', '17', ID(31) + '1234'), ID(31), none],
    [gateway(ID(32)), ID(32), none]
  ]
  for (const [i, [block, id, redact]] of steps.entries()) {
    t.equal(responseHeadersJson(block, redact, id), reference(block, redact), `step ${i}`)
  }
})

t.test('random sequences of blocks that differ from the previous one in and around the id', async t => {
  const idChar = fc.constantFrom(...'AZaz09_-'.split(''), '"', '\\', ' ', ':', '\xe9', '\r')
  const id = fc.array(idChar, { minLength: 1, maxLength: 6 }).map(cs => cs.join(''))
  const value = fc.constantFrom('', 'x', 'é', '\xc3\xa9', 'a"b', ' lead', 'tail ')
  const header = fc.tuple(fc.constantFrom('X-Request-Id', 'x-trace', 'Set-Cookie', 'set-cookie', '7', 'Date'), value, value, fc.boolean())
  // Half the steps keep the previous step's headers with a new id: the case the reuse serves.
  const step = fc.tuple(fc.array(header, { minLength: 0, maxLength: 4 }), id, fc.boolean(), fc.boolean())
  fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), steps => {
    let previous: typeof steps[number][0] = []
    for (const [own, theId, redacting, again] of steps) {
      const headers = again ? previous : own
      previous = headers
      const block = 'HTTP/1.1 200 OK\r\n' + headers.map(([n, a, b, withId]) => `${n}: ${a}${withId ? theId : ''}${b}\r\n`).join('') + '\r\n'
      const redact = redacting ? redactId : none
      if (responseHeadersJson(block, redact, theId) !== reference(block, redact)) return false
    }
    return true
  }), { numRuns: 3000 })
})

t.test('request headers like the last ones written get the JSON of their own object form', async t => {
  // The JSON of the last request headers is kept with a copy of their names and values: each
  // step repeats the previous headers as a fresh object, changes a value, adds or drops a name,
  // changes the previous object (or its array value) in place after its JSON was written, or
  // switches between redaction sets (two of them with the same names).
  const name = fc.constantFrom('host', 'user-agent', 'cookie', 'authorization', 'x-a', '0', '__proto__')
  const value = fc.oneof(fc.constantFrom('shop.example', 'curl/8', 'a=1', '\xc3\xa9', '\xff', '"\\', '\u2028', ''), fc.array(fc.constantFrom('a', 'b', '\xe2\x80\xa8'), { minLength: 1, maxLength: 3 }))
  const redacts: Array<ReadonlySet<string>> = [none, new Set(['cookie', 'authorization']), new Set(['x-a']), new Set(['cookie', 'authorization'])]
  const step = fc.record({
    kind: fc.constantFrom('same', 'set', 'drop', 'new', 'mutate', 'mutate-array'),
    headers: fc.dictionary(name, value, { maxKeys: 5 }),
    name,
    value,
    redact: fc.oneof(fc.constant(-1), fc.nat(redacts.length - 1))
  })
  const copy = (h: Record<string, string | string[]>): Record<string, string | string[]> => {
    const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>
    for (const k in h) { const v = h[k]; out[k] = Array.isArray(v) ? [...v] : (' ' + v).slice(1) }
    return out
  }
  let lines = 0
  const r = fc.check(fc.property(fc.array(step, { minLength: 2, maxLength: 25 }), steps => {
    let h: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>
    let redact = none
    for (const s of steps) {
      if (s.kind === 'same') h = copy(h)
      else if (s.kind === 'set') { h = copy(h); h[s.name] = s.value }
      else if (s.kind === 'drop') { h = copy(h); delete h[s.name] }
      else if (s.kind === 'mutate') h[s.name] = s.value
      else if (s.kind === 'mutate-array') { for (const k in h) { const v = h[k]; if (Array.isArray(v)) v[0] = v[0] + 'x' } }
      else h = copy(s.headers)
      if (s.redact !== -1) redact = redacts[s.redact]
      const want = jsonLine(requestHeaders(h, redact))
      const got = requestHeadersJson(h, redact)
      if (got !== want) throw new Error(`differ:\n${want}\n${got}`)
      lines++
    }
  }), { numRuns: 500 })
  t.notOk(r.failed, r.failed ? `${String(r.errorInstance)}\non ${JSON.stringify(r.counterexample)}` : 'no counterexample')
  t.ok(lines > 3000, `${lines} header maps, each the JSON of its object form`)
})
