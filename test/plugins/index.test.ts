import t from 'tap'
import Fastify from 'fastify'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import waf, { wafTransport, wafSocket, wafForensic } from '../../plugins/index.js'

// One name per concept (issue 20): the transport plugin is `wafTransport`, like the decorator it
// installs (`app.wafTransport`) and the umbrella's `transport` section; `wafSocket` stays accepted.

t.test('wafTransport and its earlier name wafSocket are the same plugin', async t => {
  t.equal(wafTransport, wafSocket)
})

for (const [name, plugin] of [['wafTransport', wafTransport], ['wafSocket', wafSocket]] as const) {
  t.test(`${name} opens the channels the other plugins write through`, async t => {
    const file = path.join(t.testdir(), 'forensic.log')
    const app = Fastify()
    await app.register(plugin, { channels: { forensic: `file://${file}` } })
    // wafForensic depends on the Fastify plugin name `waf-socket`: either export satisfies it.
    await app.register(wafForensic)
    app.get('/', async request => request.waf?.id ?? 'no waf context')
    const res = await app.inject({ url: '/', headers: { host: 'shop.example' } })
    await app.close()
    t.same(Object.keys(app.wafTransport.stats()), ['forensic'])
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n')
    t.equal(lines.length, 2)
    t.ok(lines[0].startsWith(`+${res.body}|GET / HTTP/1.1|`), lines[0])
    t.equal(lines[1], `-${res.body}`)
  })
}

t.test('the umbrella still registers the transport under the plugin name waf-socket', async t => {
  const app = Fastify()
  await app.register(waf, { transport: { channels: {} }, forensic: false, rules: false, attack: false, access: false, heartbeat: false })
  await app.ready()
  t.teardown(() => app.close())
  t.ok(app.hasPlugin('waf-socket'))
  t.equal(typeof app.wafTransport.stats, 'function')
})
