import t from 'tap'
import { bodyInput } from '../../../lib/rules/node-input.js'

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
