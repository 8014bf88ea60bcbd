import t from 'tap'
import { bodyInput, inputFromRawHead } from '../../../lib/rules/node-input.js'

t.test('a body kept as bytes is read by its Content-Type', async t => {
  const form = Buffer.from('q=1%27+or+1%3D1&name=J%C3%BCrgen')
  t.same(bodyInput(form, undefined, 'application/x-www-form-urlencoded; charset=utf-8'), { form: form.toString('latin1') })
  t.same(bodyInput(form, undefined, 'Application/X-WWW-Form-Urlencoded'), { form: form.toString('latin1') }, 'media types are case-insensitive')

  const json = Buffer.from('{"a":{"b":"ü"}}')
  t.same(bodyInput(json, undefined, 'application/json'), { json: { a: { b: 'ü' } }, raw: json.toString('latin1') })
  t.same(bodyInput(json, undefined, 'application/vnd.api+json'), { json: { a: { b: 'ü' } }, raw: json.toString('latin1') })

  const broken = bodyInput(Buffer.from('{"a":'), undefined, 'application/json')
  t.equal(broken?.raw, '{"a":')
  t.match(broken?.error, /^JSON parsing error: /, 'a JSON body that does not parse sets REQBODY_ERROR')

  t.same(bodyInput(Buffer.from('plain'), undefined, 'text/plain'), { raw: 'plain' })
  t.same(bodyInput(Buffer.from('x=1'), undefined, undefined), { raw: 'x=1' }, 'no Content-Type: REQUEST_BODY only')
  t.same(bodyInput('x=ü', undefined, 'application/x-www-form-urlencoded'), { form: Buffer.from('x=ü').toString('latin1') }, 'strings are turned into bytes')
})

t.test('what the framework parsed is used as it is', async t => {
  t.same(bodyInput({ a: 1 }, undefined, 'application/json'), { json: { a: 1 } })
  t.same(bodyInput({ a: 1 }, 'a=1', 'application/x-www-form-urlencoded'), { form: 'a=1' }, 'the raw form kept by the rules parser wins')
  t.equal(bodyInput(undefined, undefined, 'application/json'), undefined)
})

t.test('inputFromRawHead splits a refused request line leniently', async t => {
  const h = ['Host', 'x']
  const pick = (line: string): unknown => {
    const i = inputFromRawHead(line, h, '127.0.0.1')
    return [i.method, i.url, i.protocol]
  }
  t.same(pick('GET /a?b=c HTTP/1.1'), ['GET', '/a?b=c', 'HTTP/1.1'])
  t.same(pick('GET /a b HTTP/1.0'), ['GET', '/a b', 'HTTP/1.0'], 'a space inside the target stays in it')
  t.same(pick('GET /x'), ['GET', '/x', ''], 'no protocol')
  t.same(pick('GET /x HTTQ/1.1'), ['GET', '/x HTTQ/1.1', ''], 'a last word that is no protocol is part of the target')
  t.same(pick('BREW'), ['BREW', '', ''])
  t.equal(inputFromRawHead('GET / HTTP/1.1', h, '::1').rawHeaders, h)
})
