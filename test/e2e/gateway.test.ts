import t from 'tap'
import http from 'node:http'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startDemoUpstream } from '../../example-app/upstream.js'
import { socatCollector, socatMissing } from '../helpers/socat.js'
import type { SocatCollector } from '../helpers/socat.js'
import { gatewayRefuses, startGateway } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'

/**
 * The gateway as users run it: a real process, a real upstream beside it, and Debian's socat as
 * the collector of all four streams, each into its own file.
 */

const CHECK_FORENSIC = fileURLToPath(new URL('../../dist/bin/check-forensic.js', import.meta.url))

interface Answer { status: number, headers: http.IncomingHttpHeaders, body: string }

function request (port: number, path: string, opts: { host?: string, method?: string, body?: string, headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: opts.host ?? 'shop.example', ...opts.headers }
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body))
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers, agent: false }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} timed out`)))
    req.on('error', reject)
    req.end(opts.body)
  })
}

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

function jsonLines (lines: string[]): Json[] {
  return lines.map(l => JSON.parse(l) as Json)
}

/** The heartbeat counters of a domain, summed over every report in the file. */
function heartTotals (reports: Json[], domain: string): Record<string, number> {
  const sum: Record<string, number> = {}
  for (const r of reports) {
    const d = r.domains?.[domain] as Record<string, number> | undefined
    if (d === undefined) continue
    for (const [k, v] of Object.entries(d)) sum[k] = (sum[k] ?? 0) + v
  }
  return sum
}

const missing = socatMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  t.test('benign and attack traffic through the gateway, logged to socat collectors', async t => {
    const dir = t.testdir({})
    const upstream = await startDemoUpstream()
    t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
    const deadPort = await freePort()
    const collectors: Record<string, SocatCollector> = {}
    for (const name of ['forensic', 'access', 'attack', 'heart']) {
      collectors[name] = await socatCollector('tcp', join(dir, `${name}.log`))
      t.teardown(() => collectors[name].stop())
    }
    writeFileSync(join(dir, 'waf.yaml'), [
      'domains:',
      '  detect.example: { mode: detect }',
      '  off.example: { mode: off }',
      `  dead.example: { upstream: "http://127.0.0.1:${deadPort}" }`,
      'rateLimit: { max: 20, timeWindow: 60000 }',
      ''
    ].join('\n'))
    const gw = await startGateway({
      WAF_CONFIG: 'waf.yaml',
      WAF_UPSTREAM: upstream.url,
      WAF_HEARTBEAT_INTERVAL: '60000',
      WAF_CHANNEL_FORENSIC: collectors.forensic.url,
      WAF_CHANNEL_ACCESS: collectors.access.url,
      WAF_CHANNEL_ATTACK: collectors.attack.url,
      WAF_CHANNEL_HEART: collectors.heart.url
    }, dir)
    t.teardown(() => gw.stop('SIGKILL'))
    t.match(gw.stdout(), /upstream: http:\/\/127\.0\.0\.1:\d+\n/, 'the banner names the upstream')

    // Benign: forwarded, with the request id sent upstream and back.
    const ok = await request(gw.port, '/products?id=42')
    t.equal(ok.status, 200)
    const echoed = JSON.parse(ok.body) as { requestId: string, url: string }
    t.equal(echoed.url, '/products?id=42')
    t.equal(echoed.requestId, ok.headers['x-request-id'], 'the upstream saw the id the client got back')

    // A form body reaches the upstream byte for byte, and is inspected.
    const form = 'name=J%C3%BCrgen&note=hello+world'
    const posted = await request(gw.port, '/contact', { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    t.equal(posted.status, 200)
    t.equal((JSON.parse(posted.body) as { bodyBytes: number }).bodyBytes, Buffer.byteLength(form))
    const formAttack = await request(gw.port, '/contact', { method: 'POST', body: 'note=1%27%20union%20select%20password%20from%20users--', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    t.equal(formAttack.status, 403, 'an attack in a form body is denied')

    // Attacks: denied in block mode, passed and logged in detect mode, ignored when off.
    const denied = await request(gw.port, '/?q=1%27%20or%201=1')
    t.equal(denied.status, 403)
    const deniedId = (JSON.parse(denied.body) as { id: string }).id
    t.equal(deniedId, denied.headers['x-request-id'])
    const detected = await request(gw.port, '/?q=%3Cscript%3Ealert(1)%3C/script%3E', { host: 'detect.example' })
    t.equal(detected.status, 200, 'detect mode forwards')
    const off = await request(gw.port, '/?q=1%27%20or%201=1', { host: 'off.example' })
    t.equal(off.status, 200, 'mode off forwards without a check')

    // Upstream statuses, and an upstream that is down.
    t.equal((await request(gw.port, '/status/404')).status, 404)
    t.equal((await request(gw.port, '/status/503')).status, 503)
    t.equal((await request(gw.port, '/status/500')).status, 500)
    const dead = await request(gw.port, '/', { host: 'dead.example' })
    t.equal(dead.status, 502, 'an upstream that is down answers 502')

    // A burst past the rate limit of one client and domain: 429, marked CC.
    const burst: number[] = []
    for (let i = 0; i < 25; i++) burst.push((await request(gw.port, `/b${i}`, { host: 'burst.example' })).status)
    t.same(burst.slice(0, 20), Array(20).fill(200))
    t.same(burst.slice(20), Array(5).fill(429))

    // A malformed URL still gets logged, with its real status.
    t.equal((await request(gw.port, '/%zz')).status, 400)

    // The status endpoint answers loopback clients with the live counters.
    const status = await request(gw.port, '/__waf/status')
    t.equal(status.status, 200)
    const live = JSON.parse(status.body) as Json
    t.ok(live.heartbeat.domains['shop.example'].ac >= 8, 'live counters')
    t.equal(typeof live.transport.access.sent, 'number')
    t.match(live.resultCache, { limit: 16 * 1024 * 1024 }, 'the result cache\'s counters, with its default limit')
    t.ok(live.resultCache.hits > 0 && live.resultCache.entries > 0, 'requests that repeat their headers were served from it')

    // 4 shop + detect + off + 3 status + dead + 25 burst + /%zz + the status endpoint.
    const total = 37
    const code = await gw.stop('SIGTERM')
    t.equal(code, 0, 'SIGTERM closes cleanly')

    const forensic = await collectors.forensic.waitFor(l => l.filter(x => x.startsWith('-')).length >= total)
    const plus = forensic.filter(l => l.startsWith('+'))
    t.equal(plus.length, total, 'a "+" line per request (the off domain included)')
    const incomplete = execFileSync(process.execPath, [CHECK_FORENSIC, collectors.forensic.file], { encoding: 'utf8' })
    t.equal(incomplete, '', 'check-forensic finds no request without its "-" line after SIGTERM')
    t.ok(plus.some(l => l.includes('|GET /%25zz HTTP/1.1|')), 'the malformed URL is in the forensic log')

    const access = jsonLines(await collectors.access.waitFor(l => l.length >= total - 1))
    t.equal(access.length, total - 1, 'one access line per request, none for the domain whose mode is off')
    const byId = new Map(access.map(r => [r.id as string, r]))
    t.equal(byId.get(deniedId)?.response.status, 403)
    t.equal(byId.get(deniedId)?.waf.action, 'deny')
    t.ok(access.every(r => r.host !== 'off.example'))
    const badGateway = access.find(r => r.host === 'dead.example')
    t.equal(badGateway?.response.status, 502)
    t.equal(badGateway?.upstream.status, 502, 'the dead upstream is logged as such')
    t.equal(access.filter(r => r.response.status === 429 && r.waf.cc === true).length, 5)
    t.ok(access.some(r => r.request.uri === '/%zz' && r.response.status === 400))

    const attacks = jsonLines(await collectors.attack.waitFor(l => l.length >= 3))
    t.equal(attacks.length, 3, 'the query attack, the form attack and the detect-mode attack')
    const forensicIds = new Set(plus.map(l => l.slice(1, 28)))
    for (const a of attacks) {
      t.ok(byId.has(a.id), `attack ${a.id as string} has its access line`)
      t.ok(forensicIds.has(a.id), `attack ${a.id as string} has its forensic line`)
    }
    t.same(attacks.map(a => a.action).sort(), ['deny', 'deny', 'log'])
    t.equal(attacks.find(a => a.host === 'detect.example')?.mode, 'detect')

    // The final heartbeat went out on SIGTERM and holds every request of the run.
    const reports = jsonLines(await collectors.heart.waitFor(l => l.length >= 1))
    const shop = heartTotals(reports, 'shop.example')
    t.equal(shop.ac, 9, 'shop.example: every request counted')
    t.equal(shop.u4, 1)
    t.equal(shop.u5, 2)
    t.equal(shop.at, 2, 'the query attack and the form attack')
    t.equal(shop.acu, 5, 'forwarded: 2 benign and 3 status requests; not the denied ones, /%zz or the status endpoint')
    const deadTotals = heartTotals(reports, 'dead.example')
    t.equal(deadTotals['5x'], 1)
    t.equal(deadTotals.u5, 1)
    t.equal(heartTotals(reports, 'burst.example').cc, 5)
  })

  t.test('two workers report two wids, and a dead worker is replaced', async t => {
    const dir = t.testdir({})
    const upstream = await startDemoUpstream()
    t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
    const heart = await socatCollector('udp', join(dir, 'heart.log'))
    t.teardown(() => heart.stop())
    const gw = await startGateway({
      WAF_UPSTREAM: upstream.url,
      WAF_WORKERS: '2',
      WAF_HEARTBEAT_INTERVAL: '200',
      WAF_CHANNEL_HEART: heart.url
    }, dir, 60_000)
    t.teardown(() => gw.stop('SIGKILL'))
    const wids = (lines: string[]): Set<number> => new Set(jsonLines(lines).map(r => r.wid as number))
    await heart.waitFor(l => wids(l).size >= 2, 20_000)
    t.same([...wids(heart.lines())].sort(), [1, 2])

    const pid = (JSON.parse((await request(gw.port, '/__waf/status')).body) as { pid: number }).pid
    process.kill(pid, 'SIGKILL')
    await heart.waitFor(l => wids(l).has(3), 30_000)
    t.match(gw.stderr(), /worker \d died \(SIGKILL\); starting another/)
    t.equal((await request(gw.port, '/')).status, 200, 'still serving')
    t.equal(await gw.stop('SIGTERM'), 0)
  })

  t.test('an invalid configuration is refused with a message that names the setting', async t => {
    const dir = t.testdir({
      'mode.yaml': 'mode: blok\n',
      'channel.yaml': 'channels: { access: "http://example" }\n',
      'key.yaml': 'ratelimit: { max: 5 }\n',
      'rules.yaml': 'rules: { files: [bad-rules.yaml] }\n',
      'bad-rules.yaml': '- id: 900001\n  msg: lookahead\n  targets: [ARGS]\n  operator: rx\n  pattern: "a(?=b)"\n  action: deny\n'
    })
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ WAF_CONFIG: 'mode.yaml' }, /"mode" must be one of block, detect, off \(got "blok"\)/],
      [{ WAF_CONFIG: 'channel.yaml' }, /"channels\.access" must be a URL with one of tcp:/],
      [{ WAF_CONFIG: 'key.yaml' }, /"ratelimit" is not a known setting/],
      [{ WAF_CONFIG: 'missing.yaml' }, /WAF_CONFIG: cannot read/],
      [{ WAF_PORT: 'http' }, /WAF_PORT must be a whole number/],
      [{ WAF_CONFIG: 'rules.yaml' }, /bad-rules\.yaml.*900001.*pattern/]
    ]
    for (const [env, message] of cases) {
      const r = await gatewayRefuses(env, dir)
      t.equal(r.code, 1, `exit code for ${JSON.stringify(env)}`)
      t.match(r.stderr, message)
    }
  })
}
