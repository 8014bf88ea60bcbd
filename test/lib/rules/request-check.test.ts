import t from 'tap'
import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { buildEngine } from '../../../lib/rules/build-engine.js'
import { RequestCheck } from '../../../lib/rules/request-check.js'
import { createContext } from '../../../lib/lifecycle/context.js'

/** A request as Node's HTTP parser would hand it over: a head, and its body as a stream. */
function formRequest (body: Buffer): IncomingMessage {
  const req = new IncomingMessage(new Socket())
  req.method = 'POST'
  req.url = '/comment'
  req.httpVersion = '1.1'
  req.rawHeaders = ['Host', 'shop.example', 'Content-Type', 'application/x-www-form-urlencoded', 'Content-Length', String(body.length)]
  req.headers = { host: 'shop.example', 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) }
  return req
}

async function drain (s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

t.test('the body copy is kept for phase 2 and let go after it', async t => {
  const { engine } = await buildEngine({ mode: 'block' })
  const body = Buffer.from('name=jo&text=' + encodeURIComponent('<script>alert(document.cookie)</script>'))
  const req = formRequest(body)
  const ctx = createContext(req)
  const check = new RequestCheck(engine, req, ctx, false, false)
  t.equal(check.deny, null, 'the head alone is clean')
  const passed = await drain(check.watchBody(Readable.from([body]), 'POST', req.headers))
  t.same(passed, body, 'the framework reads the body unchanged')
  t.equal(check.capture?.size, body.length, 'and a copy is kept as it passes')
  check.rawForm = body.toString('latin1')
  // What the framework parsed: the raw form above and its fields.
  const stop = check.bodyPhase(ctx, { method: 'POST', headers: req.headers, body: { name: 'jo' } }, true)
  t.equal(stop?.status, 403, 'phase 2 read the body: the XSS in it is denied')
  t.ok(ctx.attacks.some(a => a.location.includes('text')), 'found in the form field')
  t.equal(check.capture, null, 'the copy is let go once phase 2 ran: an in-flight request does not hold its body twice')
  t.equal(check.rawForm, null, 'and so is the raw form text')
  t.equal(check.pending, false)
  t.equal(check.bodyPhase(ctx, { method: 'POST', headers: req.headers, body: undefined }, false), undefined, 'phase 2 runs once')
})
