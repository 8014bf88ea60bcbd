import t from 'tap'
import { spawnSync } from 'node:child_process'
import type { SpawnSyncReturns } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The package as a user gets it: `npm pack`, then a new TypeScript app outside the repository
 * installs the tarball (offline: its dependencies and peers are linked from this repository's
 * node_modules, so npm checks that each declared range is met and nothing else is reachable),
 * compiles against it under the strictest settings with library checking on, and runs: a
 * request over loopback through the waf plugins, and the `waf-gateway` bin.
 */

const root = fileURLToPath(new URL('../../', import.meta.url))
const modules = path.join(root, 'node_modules')

interface Manifest {
  version: string
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  bin: Record<string, string>
  exports: Record<string, string | { types: string, default: string }>
}

function sh (cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' }, timeout: 120_000 })
}

const APP = `import Fastify from 'fastify'
import waf, { wafServerOptions } from 'fastify-waflog'
import type { WafContext, ChannelStats } from 'fastify-waflog'
import { loadConfig } from 'fastify-waflog/gateway'
import type { GatewayConfig } from 'fastify-waflog/gateway'

const logs = process.argv[2] ?? '.'
const app = Fastify({ ...wafServerOptions() })
await app.register(waf, {
  transport: { channels: { access: \`file://\${logs}/access.log\`, forensic: \`file://\${logs}/forensic.log\`, attack: \`file://\${logs}/attack.log\`, heart: \`file://\${logs}/heartbeat.log\` } },
  access: { format: 'combined' }
})
app.get('/', async request => {
  const ctx: WafContext | null = request.waf
  return { id: ctx === null ? null : ctx.id, attacks: ctx?.attacks.length ?? 0 }
})
const address = await app.listen({ host: '127.0.0.1', port: 0 })
const res = await fetch(\`\${address}/\`)
const body = await res.json() as { id: string | null }
const denied = await fetch(\`\${address}/?q=1%27%20or%201=1\`)
const stats: Record<string, ChannelStats> = app.wafTransport.stats()
await app.close()
const gateway: GatewayConfig = loadConfig({}, logs).config
process.stdout.write(JSON.stringify({ status: res.status, id: body.id, denied: denied.status, channels: Object.keys(stats), gatewayPort: gateway.port }) + '\\n')
`

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023', 'DOM'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    types: ['node'],
    outDir: 'out'
  },
  include: ['app.ts']
}

if (!existsSync(path.join(root, 'dist/plugins/index.js'))) {
  t.plan(0, 'dist/ is not built: run `npm run build` (npm test does)')
} else {
  const work = mkdtempSync(path.join(tmpdir(), 'waflog-pack-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))

  t.test('the tarball ships what users run, and nothing pointing at what it does not ship', async t => {
    const r = sh('npm', ['pack', '--json', '--pack-destination', work], root)
    t.equal(r.status, 0, r.stderr)
    const [info] = JSON.parse(r.stdout) as Array<{ filename: string, files: Array<{ path: string }> }>
    if (info === undefined) throw new Error('npm pack said nothing')
    const files = new Set(info.files.map(f => f.path))
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest
    t.ok(files.has('LICENSE') && /^MIT License/.test(readFileSync(path.join(root, 'LICENSE'), 'utf8')), 'an MIT LICENSE file')
    t.same([...files].filter(f => f.startsWith('dist/bench/') || f.startsWith('bench/') || f.startsWith('test/') || f.endsWith('.tsbuildinfo')), [], 'no benchmark, test or build state')
    for (const [name, file] of Object.entries(manifest.bin)) t.ok(files.has(path.normalize(file)), `bin ${name}: ${file}`)
    for (const [entry, target] of Object.entries(manifest.exports)) {
      if (entry.includes('*')) continue
      for (const file of typeof target === 'string' ? [target] : [target.types, target.default]) t.ok(files.has(path.normalize(file)), `export ${entry}: ${file}`)
    }
    const maps = [...files].filter(f => f.endsWith('.map'))
    const missing: string[] = []
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(path.join(root, map), 'utf8')) as { sources: string[] }
      for (const s of sources) {
        const shipped = path.normalize(path.join(path.dirname(map), s))
        if (!files.has(shipped)) missing.push(`${map} -> ${shipped}`)
      }
    }
    t.ok(maps.length > 0, `${maps.length} source maps`)
    // Outputs of sources since removed: tsc leaves them in dist/, and npm pack would ship them.
    const stale = missing.filter(m => !existsSync(path.join(root, m.split(' -> ')[1] ?? '')))
    t.same(stale, [], 'dist/ holds no output of a removed source (if it does: rm -rf dist && npm run build)')
    t.same(missing.filter(m => !stale.includes(m)), [], 'every source map points at a source the tarball holds')
    t.notOk('fastify' in (manifest.dependencies ?? {}), 'fastify is not a dependency')
    t.match(manifest.peerDependencies, { fastify: /^\^5\./ }, 'but a peer')
    t.notOk('pino' in (manifest.dependencies ?? {}) && !files.has('dist/example-app/primary.js'), 'pino is a dependency only while the shipped gateway uses it')

    const app = path.join(work, 'app')
    mkdirSync(app)
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'waflog-user', private: true, type: 'module' }))
    // Declared dependencies and required peers, from this repository: the offline install fails
    // if the tarball declares one that is not here, or a range the linked version does not meet.
    const wanted = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}), 'typescript', '@types/node']
    const install = sh('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock',
      path.join(work, info.filename), ...wanted.map(name => path.join(modules, name))], app)
    t.equal(install.status, 0, install.stdout + install.stderr)

    await t.test('a strict TypeScript app compiles against it, with lib checking on', async t => {
      writeFileSync(path.join(app, 'app.ts'), APP)
      writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2))
      const tsc = sh(process.execPath, [path.join(app, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app)
      t.equal(tsc.status, 0, tsc.stdout + tsc.stderr)
    })

    await t.test('and runs: a request through the waf plugins over loopback, an attack denied', async t => {
      const logs = path.join(app, 'logs')
      mkdirSync(logs)
      const run = sh(process.execPath, ['out/app.js', logs], app)
      t.equal(run.status, 0, run.stderr)
      const out = JSON.parse(run.stdout) as { status: number, id: string | null, denied: number, channels: string[], gatewayPort: number }
      t.equal(out.status, 200)
      t.match(out.id, /^[A-Za-z0-9@_-]{20,}$/, 'request.waf is there on a route the plugins cover')
      t.equal(out.denied, 403, 'the default rules deny a SQL injection')
      t.same(out.channels.sort(), ['access', 'attack', 'forensic', 'heart'])
      t.equal(out.gatewayPort, 8080, 'fastify-waflog/gateway loads the embedded defaults')
      t.match(readFileSync(path.join(logs, 'access.log'), 'utf8'), /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/ HTTP\/1\.1" 200 /)
      t.match(readFileSync(path.join(logs, 'attack.log'), 'utf8'), /"action":"deny"/)
    })

    await t.test('the waf-gateway bin is installed', async t => {
      const v = sh(path.join(app, 'node_modules/.bin/waf-gateway'), ['--version'], app)
      t.equal(v.status, 0, v.stderr)
      t.equal(v.stdout, `waf-gateway (fastify-waflog) ${manifest.version}\n`)
      const check = sh(path.join(app, 'node_modules/.bin/waf-gateway'), ['--check'], app)
      t.equal(check.status, 0, check.stderr)
      t.match(check.stdout, /^waf-gateway: configuration the embedded defaults test is successful/)
    })
  })
}
