import t from 'tap'
import http from 'node:http'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDemoUpstream } from '../../example-app/upstream.js'
import { gatewayRefuses, startGateway } from '../helpers/gateway.js'

/**
 * /metrics from a gateway of two workers: one scrape, whichever worker answers it, holds both
 * workers' requests; Debian's promtool finds the exposition clean; a client outside `allow` gets 404.
 */

function get (port: number, path: string, host = 'shop.example'): Promise<{ status: number, body: string, type: string | undefined }> {
  return new Promise((resolve, reject) => {
    // agent: false: a new connection each time, so the primary spreads them over the workers.
    const req = http.request({ host: '127.0.0.1', port, path, agent: false, headers: { host } }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }))
    })
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} timed out`)))
    req.on('error', reject)
    req.end()
  })
}

/** The value of one series in a text exposition, or undefined. */
function sample (text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const have = (m[2] ?? '').split(',').filter(s => s !== '')
    if (want.length === have.length && want.every(w => have.includes(w))) return Number(m[3])
  }
  return undefined
}

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' })
if (promtool.error !== undefined) {
  if (process.env.CI !== undefined) throw new Error('promtool is missing (Debian package prometheus)')
  t.plan(0, 'promtool is not installed (Debian package prometheus)')
} else {
  t.test('one scrape covers both workers, and promtool finds it clean', async t => {
    const dir = t.testdir({ 'gw.yaml': 'workers: 2\nrateLimit: false\nheartbeat: { interval: 600000 }\nmetrics: { path: /metrics }\n' })
    const upstream = await startDemoUpstream()
    t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
    const gw = await startGateway({ WAF_CONFIG: 'gw.yaml', WAF_UPSTREAM: upstream.url }, dir, 60_000)
    t.teardown(() => gw.stop('SIGKILL'))
    t.match(gw.stdout(), /metrics: +http:\/\/127\.0\.0\.1:\d+\/metrics \(from 127\.0\.0\.1/, 'the banner names the endpoint')

    const ok = 40
    for (let i = 0; i < ok; i++) t.equal((await get(gw.port, `/p/${i}`)).status, 200)
    for (let i = 0; i < 6; i++) t.equal((await get(gw.port, `/?q=1%27%20or%201=1&n=${i}`)).status, 403)
    for (let i = 0; i < 4; i++) t.equal((await get(gw.port, '/status/503')).status, 503)

    // The access log's worker field shows both workers served.
    await new Promise(resolve => setTimeout(resolve, 300))
    const workers = new Set(readFileSync(join(dir, 'logs', 'access.log'), 'utf8').split('\n').filter(l => l !== '').map(l => (JSON.parse(l) as { worker: number }).worker))
    t.equal(workers.size, 2, 'requests reached both workers')

    const scrapes = [await get(gw.port, '/metrics'), await get(gw.port, '/metrics')]
    for (const s of scrapes) {
      t.equal(s.status, 200)
      t.match(s.type, /^text\/plain; version=0\.0\.4/)
    }
    const text = scrapes[0].body
    // The second scrape counts the first one (its own request departs after it answered).
    t.equal(sample(text, 'waf_requests_total', { domain: 'shop.example', class: '2xx' }), ok, 'every 2xx of both workers in one scrape')
    t.equal(sample(scrapes[1].body, 'waf_requests_total', { domain: 'shop.example', class: '2xx' }), ok + 1, 'whichever worker answers')
    t.equal(sample(text, 'waf_requests_total', { domain: 'shop.example', class: '4xx' }), 6)
    t.equal(sample(text, 'waf_requests_total', { domain: 'shop.example', class: '5xx' }), 4)
    t.equal(sample(text, 'waf_heartbeat_requests_total', { domain: 'shop.example' }), 50, 'heartbeat counters, cumulative')
    t.equal(sample(text, 'waf_heartbeat_attacked_requests_total', { domain: 'shop.example' }), 6)
    t.equal(sample(text, 'waf_heartbeat_upstream_responses_5xx_total', { domain: 'shop.example' }), 4)
    t.equal(sample(text, 'waf_heartbeat_forwarded_requests_total', { domain: 'shop.example' }), 44)
    const attacks = text.split('\n').filter(l => l.startsWith('waf_attacks_total{'))
    t.ok(attacks.length >= 1, 'attacks by rule id')
    t.equal(attacks.reduce((n, l) => n + Number(l.split(' ')[1]), 0) >= 6, true)
    t.equal(sample(text, 'waf_upstream_duration_seconds_count'), 44, 'upstream time of every forwarded request')
    t.equal(sample(text, 'waf_upstream_duration_seconds_bucket', { le: '+Inf' }), 44)
    t.equal(sample(text, 'waf_rule_check_duration_seconds_count'), 50)
    t.equal(sample(text, 'waf_transport_lines_written_total', { channel: 'access' }), 50, 'transport counters per channel')
    t.equal(sample(text, 'waf_transport_lines_dropped_total', { channel: 'access', reason: 'overflow' }), 0)
    t.equal(sample(text, 'waf_gateway_workers'), 2)

    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    t.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`)
    t.equal(check.stdout + check.stderr, '', 'no lint findings')

    // A reload replaces both workers: the counters of the old ones are kept, so nothing goes back.
    gw.child.kill('SIGHUP')
    const reloaded = (): boolean => /reloaded .*generation 2/.test(gw.stdout())
    for (let i = 0; i < 600 && !reloaded(); i++) await new Promise(resolve => setTimeout(resolve, 50))
    t.ok(reloaded(), 'reloaded')
    // While the old workers drain they are asked as well; once they exit, their last counters stand in.
    const during = (await get(gw.port, '/metrics')).body
    await new Promise(resolve => setTimeout(resolve, 3000))
    const after = (await get(gw.port, '/metrics')).body
    t.ok((sample(during, 'waf_requests_total', { domain: 'shop.example', class: '2xx' }) ?? 0) >= ok + 2, 'the draining workers counted')
    t.equal(sample(after, 'waf_gateway_reloads_total', { result: 'ok' }), 1)
    t.ok((sample(after, 'waf_requests_total', { domain: 'shop.example', class: '2xx' }) ?? 0) >= ok + 2, 'the counters of the replaced workers are still in the scrape')
    t.equal(sample(after, 'waf_heartbeat_attacked_requests_total', { domain: 'shop.example' }), 6)
    t.equal(sample(after, 'waf_upstream_duration_seconds_count'), 44)
    t.equal(await gw.stop('SIGTERM'), 0)
  })

  t.test('a client outside metrics.allow gets 404', async t => {
    const dir = t.testdir({ 'gw.yaml': 'rateLimit: false\nmetrics: { allow: [10.0.0.0/8, "fd00::/8"] }\n' })
    const upstream = await startDemoUpstream()
    t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
    const gw = await startGateway({ WAF_CONFIG: 'gw.yaml', WAF_UPSTREAM: upstream.url }, dir)
    t.teardown(() => gw.stop('SIGKILL'))
    t.equal((await get(gw.port, '/metrics')).status, 404, 'loopback is not in the list')
    t.equal(await gw.stop('SIGTERM'), 0)
  })

  t.test('a bad allow entry is refused at start, naming the setting', async t => {
    const dir = t.testdir({ 'gw.yaml': 'metrics: { allow: [localhost] }\n' })
    const r = await gatewayRefuses({ WAF_CONFIG: 'gw.yaml' }, dir)
    t.equal(r.code, 1)
    t.match(r.stderr, /"metrics\.allow" must be a list of IP addresses or CIDR ranges/)
  })
}
