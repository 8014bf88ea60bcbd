import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDemoUpstream } from '../../example-app/upstream.js'
import { startGateway } from '../helpers/gateway.js'
import { startLoad } from '../helpers/load.js'

/**
 * Debian's logrotate rotating the gateway's logs under load, as the snippet in docs/gateway.md says:
 * `create`, no `copytruncate`, `postrotate kill -USR1 <primary>`. Across two rotations every
 * answered request has exactly one access line and one forensic "+" line, in the rotated files
 * and the current ones together.
 */

const LOGROTATE = '/usr/sbin/logrotate'

function linesOf (file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(l => l !== '') : []
}

if (!existsSync(LOGROTATE)) {
  if (process.env.CI !== undefined) throw new Error('logrotate is missing (Debian package logrotate)')
  t.plan(0, 'logrotate is not installed (Debian package logrotate)')
} else {
  t.test('logrotate with postrotate kill -USR1 under load: no line lost or written twice', async t => {
    const dir = t.testdir({ 'gw.yaml': 'workers: 2\nrateLimit: false\nheartbeat: { interval: 200 }\n' })
    const logs = join(dir, 'logs')
    const upstream = await startDemoUpstream()
    t.teardown(() => { upstream.server.close(); upstream.server.closeAllConnections() })
    const gw = await startGateway({ WAF_CONFIG: 'gw.yaml', WAF_UPSTREAM: upstream.url }, dir, 60_000)
    t.teardown(() => gw.stop('SIGKILL'))
    const conf = join(dir, 'logrotate.conf')
    writeFileSync(conf, [
      `${logs}/*.log {`,
      '    create 0640',
      '    rotate 5',
      '    missingok',
      '    nocompress',
      '    sharedscripts',
      '    postrotate',
      `        kill -USR1 ${gw.child.pid ?? 0}`,
      '    endscript',
      '}', ''
    ].join('\n'))
    // logrotate refuses a configuration that others may write.
    chmodSync(conf, 0o644)
    const state = join(dir, 'logrotate.state')
    const rotate = (): void => {
      const r = spawnSync(LOGROTATE, ['-f', '-s', state, conf], { encoding: 'utf8' })
      t.equal(r.status, 0, `logrotate ran: ${r.stderr}`)
    }

    const load = startLoad({ port: gw.port, concurrency: 4, max: 20_000, maxMs: 60_000 })
    const more = async (n: number): Promise<void> => {
      const target = load.answered + n
      while (load.answered < target) await new Promise(resolve => setTimeout(resolve, 20))
    }
    await more(300)
    rotate()
    await more(300)
    rotate()
    await more(300)
    const result = await load.stop()
    t.same(result.failures, [], `no failed request out of ${result.sent}`)
    t.equal(await gw.stop('SIGTERM'), 0, 'SIGTERM closes cleanly')

    const files = (name: string): string[] => [`${name}.2`, `${name}.1`, name].map(f => join(logs, f))
    for (const f of files('access.log')) t.ok(linesOf(f).length > 0, `${f.slice(logs.length + 1)} has lines`)
    const access = files('access.log').flatMap(linesOf).map(l => (JSON.parse(l) as { id: string }).id)
    t.equal(access.length, result.ids.length, `one access line per request (${result.ids.length}) across the rotated files`)
    t.equal(new Set(access).size, access.length, 'no access line written twice')
    const sent = new Set(result.ids)
    t.equal(access.filter(id => sent.has(id)).length, sent.size, 'every request has its access line')
    const plus = files('forensic.log').flatMap(linesOf).filter(l => l.startsWith('+')).map(l => l.slice(1, l.indexOf('|')))
    t.equal(plus.length, sent.size, 'one forensic "+" line per request')
    t.equal(new Set(plus).size, plus.length, 'no forensic line written twice')
    const minus = files('forensic.log').flatMap(linesOf).filter(l => l.startsWith('-')).length
    t.equal(minus, sent.size, 'and one "-" line')
    // The rotated files were not written after the rotation ended: the current file has the newest lines.
    const last = linesOf(join(logs, 'access.log')).map(l => (JSON.parse(l) as { id: string }).id)
    t.ok(last.includes(result.ids[result.ids.length - 1]), 'the last request is in the current file')
    t.ok(readdirSync(logs).includes('heartbeat.log.1'), 'the heartbeat log was rotated too')
  })
}
