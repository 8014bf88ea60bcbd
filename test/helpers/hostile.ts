import type { Test } from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startDemoUpstream } from '../../example-app/upstream.js'
import { startGateway } from './gateway.js'
import type { GatewayProcess } from './gateway.js'

/** The gateway process with its four logs as files, for the hostile-client suites (test/e2e/hostile-*). */

const CHECK_FORENSIC = fileURLToPath(new URL('../../dist/bin/check-forensic.js', import.meta.url))

export type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Run {
  gw: GatewayProcess
  dir: string
  /** The lines of one log (forensic, access, attack, heartbeat). */
  log: (name: string) => string[]
}

export async function run (t: Test, env: Record<string, string> = {}, yaml = '', upstreamUrl?: string): Promise<Run> {
  const dir = t.testdir({})
  let url = upstreamUrl
  if (url === undefined) {
    const upstream = await startDemoUpstream()
    t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
    url = upstream.url
  }
  if (yaml !== '') writeFileSync(join(dir, 'waf.yaml'), yaml)
  const gw = await startGateway({
    WAF_UPSTREAM: url,
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

export function jsonLines (lines: string[]): Json[] {
  return lines.map(l => JSON.parse(l) as Json)
}

export interface Seen { headers: http.IncomingHttpHeaders, body: number }

/**
 * An upstream that records what it received, and answers with hop-by-hop fields of its own
 * (which must not reach the client).
 */
export async function recordingUpstream (t: Test): Promise<{ url: string, seen: Seen[] }> {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    let body = 0
    req.on('data', (d: Buffer) => { body += d.length })
    req.on('end', () => {
      seen.push({ headers: req.headers, body })
      res.writeHead(200, {
        // No length: the answer is chunked, with a Trailer field announced.
        'content-type': 'text/plain', connection: 'keep-alive, X-Up-Private',
        'keep-alive': 'timeout=5, max=3', 'x-up-private': 'p', upgrade: 'h2c', 'proxy-connection': 'keep-alive', trailer: 'X-T'
      })
      res.end('ok')
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close(); server.closeAllConnections() })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

export const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']

/** SIGTERM, exit 0, and a forensic log with every "+" matched by its "-". */
export async function stopCleanly (t: Test, r: Run): Promise<void> {
  t.equal(await r.gw.stop('SIGTERM'), 0, 'SIGTERM: exit 0')
  const incomplete = execFileSync(process.execPath, [CHECK_FORENSIC, join(r.dir, 'logs', 'forensic.log')], { encoding: 'utf8' })
  t.equal(incomplete, '', 'check-forensic: no "+" line without its "-"')
}


/** The heartbeat counters, summed over every domain of every report in the file (a head cut short has no Host). */
export function heartTotals (reports: Json[]): Record<string, number> {
  const sum: Record<string, number> = {}
  for (const r of reports) {
    for (const d of Object.values(r.domains as Record<string, Record<string, number>>)) {
      for (const [k, v] of Object.entries(d)) sum[k] = (sum[k] ?? 0) + v
    }
  }
  return sum
}
