import t from 'tap'
import http from 'node:http'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startGateway } from '../helpers/gateway.js'
import type { GatewayProcess } from '../helpers/gateway.js'
import { startLoad } from '../helpers/load.js'
import { freePort } from '../helpers/ports.js'
import { until } from '../helpers/until.js'

/**
 * SIGHUP under continuous load: good and bad configurations, a new upstream, a new rule, more
 * workers and fewer, a new port. No request may fail, a refused configuration must leave the
 * running one serving and say why, and every request must be in the logs of the worker that
 * served it (check-forensic, and the heartbeat totals of every worker, drained ones included).
 */

const CHECK_FORENSIC = fileURLToPath(new URL('../../dist/bin/check-forensic.js', import.meta.url))

/** An upstream that names itself, so the test sees which one answered. */
async function namedUpstream (name: string): Promise<{ url: string, close: () => void }> {
  const server = http.createServer((req, res) => {
    const slow = /^\/slow/.test(req.url ?? '')
    const send = (): void => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ upstream: name })) }
    if (slow) setTimeout(send, 200)
    else send()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => { server.close(); server.closeAllConnections() } }
}

function get (port: number, path: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false, headers: { host: 'shop.example' } }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} timed out`)))
    req.on('error', reject)
    req.end()
  })
}


const count = (s: string, re: RegExp): number => (s.match(new RegExp(re.source, 'g')) ?? []).length

t.test('SIGHUP under load: new upstream, rules, workers and port; bad configurations refused; no failed request', async t => {
  const dir = t.testdir({
    'probe-rule.yaml': '- id: 990001\n  msg: reload probe\n  targets: [ARGS]\n  operator: rx\n  pattern: "reloadprobe"\n  action: deny\n',
    'bad-rule.yaml': '- id: 990002\n  msg: lookahead\n  targets: [ARGS]\n  operator: rx\n  pattern: "a(?=b)"\n  action: deny\n'
  })
  const a = await namedUpstream('A')
  const b = await namedUpstream('B')
  t.teardown(() => { a.close(); b.close() })
  const port = await freePort()
  const config = (lines: string[], listenPort = port): void => {
    writeFileSync(join(dir, 'gw.yaml'), [
      `listen: { host: 127.0.0.1, port: ${listenPort} }`,
      'rateLimit: false',
      'heartbeat: { interval: 600000 }',
      // Health must stay 200 through a reload (the gateway is not going away), and drainDelay
      // only delays a shutdown: the load below asks /healthz too and counts a 503 as a failure.
      'health: { path: /healthz, drainDelay: 1000 }',
      ...lines, ''
    ].join('\n'))
  }
  config([`domains: { shop.example: { upstream: "${a.url}" } }`])
  // WAF_PORT empty: the port comes from the file, so a reload can change it.
  const gw: GatewayProcess = await startGateway({ WAF_CONFIG: 'gw.yaml', WAF_PORT: '' }, dir)
  t.teardown(() => gw.stop('SIGKILL'))
  t.equal(gw.port, port)
  const hup = (): void => { gw.child.kill('SIGHUP') }
  let probes = 0
  const probe = async (path: string, on = port): Promise<{ status: number, body: string }> => {
    probes++
    return await get(on, path)
  }

  const isHealth = (i: number): boolean => i % 20 !== 0 && i % 7 === 0
  const load = startLoad({ port, concurrency: 4, max: 40_000, maxMs: 90_000, path: i => i % 20 === 0 ? `/slow/${i}` : isHealth(i) ? '/healthz' : `/load/${i}` })
  const answeredMore = async (n: number): Promise<void> => {
    const target = load.answered + n
    await until(`${n} more answers under load`, () => load.answered >= target)
  }
  await answeredMore(200)
  t.match((await probe('/')).body, /"A"/, 'upstream A before any reload')

  // 1. A good configuration: another upstream, a new rule, two workers.
  config([`domains: { shop.example: { upstream: "${b.url}" } }`, 'workers: 2', 'rules: { files: [probe-rule.yaml] }'])
  hup()
  await until('reload 1', () => /reloaded .*: generation 2, 2 workers listening/.test(gw.stdout()))
  t.match((await probe('/')).body, /"B"/, 'the new upstream answers')
  t.equal((await probe('/?q=reloadprobe')).status, 403, 'the new rule denies')
  await answeredMore(200)

  // 2. An invalid setting: refused, named, and the running configuration keeps serving.
  config(['mode: blok'])
  hup()
  await until('refusal 1', () => count(gw.stderr(), /reload refused/) >= 1)
  t.match(gw.stderr(), /reload refused: .*gw\.yaml: "mode" must be one of block, detect, off \(got "blok"\)\nfastify-waflog gateway: still serving generation 2/)
  t.match((await probe('/')).body, /"B"/, 'still upstream B')
  t.equal((await probe('/?q=reloadprobe')).status, 403, 'still the rule')

  // 3. A rule that does not compile: refused with the file and the rule id, after workers tried it.
  config([`domains: { shop.example: { upstream: "${a.url}" } }`, 'rules: { files: [bad-rule.yaml] }'])
  hup()
  await until('refusal 2', () => count(gw.stderr(), /reload refused/) >= 2)
  t.match(gw.stderr(), /reload refused: .*bad-rule\.yaml.*990002/)
  t.match((await probe('/')).body, /"B"/, 'a refused rule set changes nothing')
  t.equal((await probe('/?q=reloadprobe')).status, 403)
  await answeredMore(200)

  // 4. Back to one worker, upstream A, no extra rule: several SIGHUPs at once make one or two reloads.
  config([`domains: { shop.example: { upstream: "${a.url}" } }`])
  hup()
  hup()
  await until('reload 2', () => /reloaded .*, 1 worker listening/.test(gw.stdout()))
  await answeredMore(200)
  t.match((await probe('/')).body, /"A"/, 'upstream A again')
  t.equal((await probe('/?q=reloadprobe')).status, 200, 'the rule is gone')

  const result = await load.stop()
  t.same(result.failures.slice(0, 5), [], `no failed request out of ${result.sent}`)
  t.equal(result.ok, result.sent)
  t.ok(result.sent >= 800, `continuous load across the reloads (${result.sent} requests)`)

  // 5. A new port: the new worker listens there; the old port closes once the old worker drained.
  const port2 = await freePort()
  config([`domains: { shop.example: { upstream: "${a.url}" } }`], port2)
  hup()
  await until('reload to a new port', () => new RegExp(`listening on port ${port2}`).test(gw.stdout()))
  t.match((await probe('/', port2)).body, /"A"/, 'the new port serves')
  let oldClosed = false
  for (let i = 0; i < 100 && !oldClosed; i++) {
    oldClosed = await get(port, '/').then(() => false, (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED')
    if (!oldClosed) { probes++; await new Promise(resolve => setTimeout(resolve, 50)) }
  }
  t.ok(oldClosed, 'the old port is closed')

  const warn = gw.stdout().split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as { level: number, msg: string, reason: string })
  t.equal(warn.filter(l => l.level === 40 && /reload refused/.test(l.msg)).length, 2, 'each refusal is logged at warn level')
  t.match(warn.find(l => /990002/.test(l.reason))?.reason, /bad-rule\.yaml/)

  t.equal(await gw.stop('SIGTERM'), 0, 'SIGTERM closes cleanly')
  const forensic = join(dir, 'logs', 'forensic.log')
  t.equal(execFileSync(process.execPath, [CHECK_FORENSIC, forensic], { encoding: 'utf8' }), '', 'check-forensic: every request of every worker finished in the log')
  // Health requests are neither logged nor counted.
  const healthChecks = Array.from({ length: result.sent }, (_, i) => i).filter(isHealth).length
  t.ok(healthChecks > 100, `health asked ${healthChecks} times under load, never 503`)
  const total = result.sent - healthChecks + probes
  const plus = readFileSync(forensic, 'utf8').split('\n').filter(l => l.startsWith('+'))
  t.equal(plus.length, total, 'a "+" line for every request')
  const reports = readFileSync(join(dir, 'logs', 'heartbeat.log'), 'utf8').split('\n').filter(l => l !== '').map(l => JSON.parse(l) as { wid: number, domains: Record<string, { ac: number }> })
  const ac = reports.reduce((n, r) => n + (r.domains['shop.example']?.ac ?? 0), 0)
  t.equal(ac, total, 'the final heartbeats of the drained workers count every request')
  t.ok(new Set(reports.map(r => r.wid)).size >= 5, 'reports from the workers of every generation')
})
