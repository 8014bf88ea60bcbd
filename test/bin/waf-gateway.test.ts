import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../helpers/ports.js'
import { until } from '../helpers/until.js'

/**
 * The `waf-gateway` command through its bin (the built dist/bin/waf-gateway.js that package.json
 * names): --version, --help, --check as `nginx -t` (0 and one line, or 1 and file:line: reason),
 * and a run with --config whose lost log lines are printed on stderr.
 */

const BIN = fileURLToPath(new URL('../../dist/bin/waf-gateway.js', import.meta.url))
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

interface Run { code: number | null, stdout: string, stderr: string }

function run (args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`waf-gateway ${args.join(' ')} did not exit\n${stdout}\n${stderr}`)) }, 30_000)
    child.on('close', code => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

/** The 1-based line of `text` that holds `needle`. */
function lineOf (text: string, needle: string): number {
  return text.split('\n').findIndex(l => l.includes(needle)) + 1
}

if (!existsSync(BIN)) {
  t.plan(0, 'dist/ is not built: run `npm run build` (npm test does)')
} else {
  t.test('--version, --help and a wrong option', async t => {
    const dir = t.testdir()
    const v = await run(['--version'], dir)
    t.equal(v.code, 0)
    t.equal(v.stdout, `waf-gateway (fastify-waflog) ${VERSION}\n`)
    const h = await run(['--help'], dir)
    t.equal(h.code, 0)
    t.match(h.stdout, /^usage: waf-gateway \[--config FILE\] \[--check\]\n/)
    t.match(h.stdout, /--check .*\n.*\n.*file:line: reason/)
    const bad = await run(['--chek'], dir)
    t.equal(bad.code, 2, 'exit 2, as for any usage error')
    t.match(bad.stderr, /^waf-gateway: Unknown option '--chek'/)
    t.match(bad.stderr, /usage: waf-gateway/)
  })

  // Every kind of problem --check finds is in test/example-app/check.test.ts; here, the command.
  t.test('--check: 0 and one line on stdout, or 1 and file:line: reason on stderr', async t => {
    const bad = 'listen:\n  port: 8080\ndomains:\n  shop.example:\n    mode: loud\n'
    const dir = t.testdir({ 'good.yaml': 'mode: detect\n', 'bad.yaml': bad })
    const good = await run(['--check', '--config', 'good.yaml'], dir)
    t.equal(good.code, 0, good.stderr)
    t.equal(good.stdout, `waf-gateway: configuration ${path.join(dir, 'good.yaml')} test is successful (rules: ${/rules: (\d+) rules/.exec(good.stdout)?.[1] ?? '?'} rules, mode detect)\n`)
    t.equal(good.stderr, '')
    const refused = await run(['-t'], dir, { WAF_CONFIG: 'bad.yaml' })
    t.equal(refused.code, 1)
    t.equal(refused.stdout, '')
    t.equal(refused.stderr, `waf-gateway: ${path.join(dir, 'bad.yaml')}:${lineOf(bad, 'loud')}: "domains.shop.example.mode" must be one of block, detect, off (got "loud")\n`, 'WAF_CONFIG names the file when --config does not')
  })

  t.test('a run with --config: serves, and a collector that cannot be reached is reported on stderr', async t => {
    const dir = t.testdir()
    const away = await freePort()
    writeFileSync(path.join(dir, 'gateway.yaml'), `listen:\n  host: 127.0.0.1\n  port: 0\nchannels:\n  access: tcp://127.0.0.1:${away}\n`)
    const child = spawn(process.execPath, [BIN, '--config', 'gateway.yaml'], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
    const exited = new Promise<number | string>(resolve => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
    t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
    await until('the banner', () => out.includes('  try: ') || child.exitCode !== null, 30_000)
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+) /.exec(out)?.[1])
    t.ok(port > 0, `listening: ${out.split('\n')[0] ?? ''}${err}`)
    t.match(out, `config:   ${path.join(dir, 'gateway.yaml')}`)
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/hello', agent: false }, res => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)) }).on('error', reject)
    })
    t.equal(status, 200, 'forwarded to the demo upstream')
    await until('the warning', () => err.includes('waf-socket: channel "access"'), 15_000)
    t.match(err, new RegExp(`fastify-waflog gateway: waf-socket: channel "access" \\(tcp://127\\.0\\.0\\.1:${away}\\): \\d+ error\\(s\\), last: .*ECONNREFUSED`))
    child.kill('SIGTERM')
    t.equal(await exited, 0, 'SIGTERM: a clean exit')
    t.match(err, /channel "access" .*line\(s\) dropped/, 'and the lines it could not deliver are reported at close')
  })
}
