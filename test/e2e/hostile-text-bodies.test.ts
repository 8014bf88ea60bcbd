import t from 'tap'
import { buildRequest, rawRequest } from '../helpers/raw-http.js'
import { jsonLines, run, stopCleanly } from '../helpers/hostile.js'
import type { Json } from '../helpers/hostile.js'

/**
 * The default rules read text/plain bodies (REQUEST_BODY_TEXT) and XML bodies (XML:/*), not only
 * forms, JSON and multipart, through the gateway: an attack in such a body is denied in block mode
 * and recorded where it was; ordinary text and XML pass.
 */
const CASES: Array<{ name: string, type: string, body: string, attack: string | null }> = [
  { name: 'SQL injection in a text/plain body', type: 'text/plain; charset=utf-8', body: "name=1' union select password from users --", attack: 'REQUEST_BODY_TEXT' },
  { name: 'a script tag in a text/plain body', type: 'text/plain', body: 'hello <script>alert(document.cookie)</script>', attack: 'REQUEST_BODY_TEXT' },
  { name: 'SQL injection in an XML text node', type: 'application/xml', body: '<order><note>1 union select pass from users</note></order>', attack: 'XML' },
  { name: 'an escaped script tag in a SOAP body', type: 'application/soap+xml', body: '<e><b>&lt;script&gt;alert(1)&lt;/script&gt;</b></e>', attack: 'XML' },
  { name: 'ordinary English in a text/plain body', type: 'text/plain', body: 'The teacher said we would select a union of the best essays, then drop the rest.', attack: null },
  { name: 'an ordinary XML order', type: 'text/xml', body: '<?xml version="1.0"?><order id="7"><item qty="2">Book &amp; pen</item></order>', attack: null }
]

t.test('text/plain and XML bodies are inspected by the default rules through the gateway', async t => {
  const r = await run(t, { WAF_MODE: 'block' })
  for (const c of CASES) {
    const res = await rawRequest(r.gw.port, buildRequest('POST', '/submit', [['Host', 'shop.example'], ['Content-Type', c.type],
      ['Content-Length', String(Buffer.byteLength(c.body))], ['Connection', 'close']], c.body), { timeoutMs: 10_000 })
    t.equal(res.status, c.attack === null ? 200 : 403, c.name)
  }
  await stopCleanly(t, r)
  const attacks = jsonLines(r.log('attack'))
  const expected = CASES.filter(c => c.attack !== null)
  t.equal(attacks.length, expected.length, 'one attack record per attack, none for the ordinary bodies')
  attacks.forEach((a, i) => {
    const locations = (a.attacks as Json[]).map(e => String(e.location))
    t.ok(locations.some(l => l.startsWith(expected[i]!.attack!)), `${expected[i]!.name}: recorded at ${expected[i]!.attack} (${locations.join(', ')})`)
    t.equal(a.action, 'deny')
  })
})
