import t from 'tap'
import type { Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startDemoUpstream } from '../../example-app/upstream.js'
import { startGateway } from '../helpers/gateway.js'
import type { GatewayProcess } from '../helpers/gateway.js'
import { buildRequest, rawRequest } from '../helpers/raw-http.js'

/**
 * The gateway against clients that do what real (and hostile) clients do: secrets in headers
 * that trigger rules, `Expect`, `Upgrade`, `Keep-Alive`, HTTP/1.0 and `Connection: close`,
 * stalled heads and bodies followed by SIGTERM, oversized and malformed heads, attacks past the
 * inspection limits. Raw sockets to loopback; the four logs are files read after the process
 * exited.
 */

const CHECK_FORENSIC = fileURLToPath(new URL('../../dist/bin/check-forensic.js', import.meta.url))

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

interface Run {
  gw: GatewayProcess
  dir: string
  /** The lines of one log (forensic, access, attack, heartbeat). */
  log: (name: string) => string[]
}

async function run (t: Test, env: Record<string, string> = {}, yaml = ''): Promise<Run> {
  const dir = t.testdir({})
  const upstream = await startDemoUpstream()
  t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
  if (yaml !== '') writeFileSync(join(dir, 'waf.yaml'), yaml)
  const gw = await startGateway({
    WAF_UPSTREAM: upstream.url,
    WAF_LOG_DIR: join(dir, 'logs'),
    WAF_HEARTBEAT_INTERVAL: '60000',
    WAF_RATE_LIMIT_MAX: '0',
    ...(yaml === '' ? {} : { WAF_CONFIG: 'waf.yaml' }),
    ...env
  }, dir)
  t.teardown(() => gw.stop('SIGKILL'))
  return {
    gw,
    dir,
    log: name => {
      const file = join(dir, 'logs', `${name}.log`)
      return existsSync(file) ? readFileSync(file, 'latin1').split('\n').filter(l => l.length > 0) : []
    }
  }
}

function jsonLines (lines: string[]): Json[] {
  return lines.map(l => JSON.parse(l) as Json)
}

/** SIGTERM, exit 0, and a forensic log with every "+" matched by its "-". */
async function stopCleanly (t: Test, r: Run): Promise<void> {
  t.equal(await r.gw.stop('SIGTERM'), 0, 'SIGTERM: exit 0')
  const incomplete = execFileSync(process.execPath, [CHECK_FORENSIC, join(r.dir, 'logs', 'forensic.log')], { encoding: 'utf8' })
  t.equal(incomplete, '', 'check-forensic: no "+" line without its "-"')
}

t.test('secrets in Authorization, Proxy-Authorization and Cookie that trigger rules reach none of the four logs', async t => {
  const format = '$remote_addr "$request" $status a=$http_authorization p=$http_proxy_authorization c=$http_cookie s=$cookie_sid'
  for (const mode of ['block', 'detect']) {
    const r = await run(t, { WAF_MODE: mode, WAF_ACCESS_FORMAT: format })
    const secrets = [
      ['Authorization', 'Bearer () { :; }; SECRET-AUTH-1'],
      ['Proxy-Authorization', 'Basic ${jndi:ldap://SECRET-PROXY-2}'],
      ['Cookie', "sid=<script>SECRET-COOKIE-3; 1' or 1=1-- SECRET-BARE-4"]
    ] as Array<[string, string]>
    const all = await rawRequest(r.gw.port, buildRequest('GET', '/?q=1', [['Host', 'shop.example'], ...secrets, ['Connection', 'close']]))
    t.equal(all.status, mode === 'block' ? 403 : 200, `${mode}: the request is answered`)
    for (const h of secrets) {
      const one = await rawRequest(r.gw.port, buildRequest('POST', '/form', [['Host', 'shop.example'], h, ['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', '3'], ['Connection', 'close']], 'a=1'))
      t.equal(one.status, mode === 'block' ? 403 : 200, `${mode}: ${h[0]} alone`)
    }
    // A head the parser refuses is logged through the early path, its rules run on the raw head.
    const refused = await rawRequest(r.gw.port, 'GET / HTTP/1.1\r\nHost: shop.example\r\nAuthorization: Bearer () { :; }; SECRET-REFUSED-5\r\nCookie: sid=SECRET-REFUSED-6\r\nBad Header\r\n\r\n')
    t.equal(refused.status, 400)
    await stopCleanly(t, r)
    const attacks = jsonLines(r.log('attack'))
    t.equal(attacks.length, 5, `${mode}: every request has its attack record`)
    const locations = new Set(attacks.flatMap(a => (a.attacks as Json[]).map(e => e.location as string)))
    for (const l of ['REQUEST_HEADERS:Authorization', 'REQUEST_HEADERS:Proxy-Authorization', 'REQUEST_COOKIES:sid']) t.ok(locations.has(l), `${mode}: a rule fired on ${l}`)
    t.equal(r.log('access').length, 5)
    for (const name of ['forensic', 'access', 'attack', 'heartbeat']) {
      const text = r.log(name).join('\n')
      t.ok(text.length > 0, `${mode}: the ${name} log has lines`)
      t.notMatch(text, /SECRET-/, `${mode}: no secret in the ${name} log`)
      if (name !== 'heartbeat') t.match(text, /REDACTED/, `${mode}: the ${name} log writes the one marker`)
      t.notMatch(text, /\[REDACTED\]/, `${mode}: and no other`)
    }
  }
})
