import t from 'tap'
import { compileDenyTemplate } from '../../lib/deny-template.js'

t.test('{id}, {status} and {reason} are replaced, every other character kept', async t => {
  const render = compileDenyTemplate('{"error":"{reason}","status":{status},"id":"{id}","again":"{id}"}')
  t.equal(render(403, 'abc-123'), '{"error":"Forbidden","status":403,"id":"abc-123","again":"abc-123"}')
  t.equal(render(429, 'x'), '{"error":"Too Many Requests","status":429,"id":"x","again":"x"}')
})

t.test('the template is text, never code', async t => {
  const render = compileDenyTemplate('${process.pid} {{id}} {ID} {constructor} `{id}`')
  t.equal(render(502, 'Q'), '${process.pid} {Q} {ID} {constructor} `Q`')
})

t.test('no placeholder, and an unknown status', async t => {
  t.equal(compileDenyTemplate('<h1>Denied</h1>')(403, 'id'), '<h1>Denied</h1>')
  t.equal(compileDenyTemplate('[{reason}]')(599, 'id'), '[]')
})
