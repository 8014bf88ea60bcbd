import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The public types, as an app sees them through the package name: a typed example app compiled
 * with `tsc --noEmit`, and type assertions checked with tstyche. Both read the declarations that
 * `npm run build` wrote to dist/.
 */
const root = fileURLToPath(new URL('../../', import.meta.url))
const bin = (name: string): string => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url))

if (!existsSync(new URL('../../dist/plugins/index.d.ts', import.meta.url))) {
  t.plan(0, 'dist/ is not built: run `npm run build` (npm test does)')
} else {
  t.test('a typed example app compiles with tsc --noEmit', async t => {
    const r = spawnSync(bin('tsc'), ['-p', 'test/types/tsconfig.app.json'], { cwd: root, encoding: 'utf8' })
    t.equal(r.status, 0, r.stdout + r.stderr)
  })

  t.test('tstyche type assertions hold', async t => {
    const r = spawnSync(bin('tstyche'), [], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
    t.equal(r.status, 0, r.stdout + r.stderr)
    t.match(r.stdout, /Assertions:\s+\d+ passed/)
  })
}
