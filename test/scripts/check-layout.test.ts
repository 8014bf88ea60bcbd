import t from 'tap'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { findCycles, directoryGraph, ROOT, CHECKS, type CheckName } from '../../scripts/check-layout.mjs'

const execFileP = promisify(execFile)
const SCRIPT = join(ROOT, 'scripts', 'check-layout.mjs')

/**
 * Every check is asserted on the repository: no circle of imports (types included), no circle
 * among lib/'s directories, nothing in lib/ importing plugins/, no plugin file over 150 lines.
 */
const ASSERTED: readonly CheckName[] = ['cycles', 'dir-cycles', 'lib-plugins', 'plugin-size']

interface Run { code: number, stdout: string, stderr: string }

/** The script in a plain node (no tap loaders: the compiler loads in a second, not ten). */
async function script (args: string[]): Promise<Run> {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  return await execFileP(process.execPath, [SCRIPT, ...args], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number, stdout: string, stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }))
}

t.test('the repository\'s layout', async t => {
  const run = await script(['--json'])
  const findings = JSON.parse(run.stdout) as Record<CheckName, string[]>
  t.same(Object.keys(findings), [...CHECKS])
  for (const name of CHECKS) {
    if (ASSERTED.includes(name)) t.same(findings[name], [], `${name}: no finding`)
    else for (const line of findings[name]) t.comment(`not yet asserted: ${name}: ${line}`)
  }
  t.same(findings.cycles.filter(line => /(^| )(lib|plugins|bin|bench)\//.test(line)), [], 'cycles: none through lib/, plugins/, bin/ or bench/')
  const checked = await script(['--only', ASSERTED.join(',')])
  t.equal(checked.code, 0, `node scripts/check-layout.mjs --only ${ASSERTED.join(',')} exits 0`)
})

t.test('each check finds what it is for, in a tree that breaks them all', async t => {
  const plugin = Array.from({ length: 151 }, (_, i) => `export const v${i} = ${i}`).join('\n') + '\n'
  const dir = t.testdir({
    'package.json': JSON.stringify({ type: 'module' }),
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['lib/**/*.ts', 'plugins/**/*.ts'] }),
    lib: {
      'a.ts': "import type { B } from './b.js'\nexport type A = { b?: B }\n",
      'b.ts': "import { type A } from './a.js'\nexport type B = { a?: A }\n",
      'c.ts': "import { v0 } from '../plugins/big.js'\nimport { readFileSync } from 'node:fs'\nexport const c = [v0, readFileSync]\n",
      'self.ts': "export type S = import('./self.js').S | number\n",
      log: { 'x.ts': "import { y } from '../access/y.js'\nexport const x = y\n" },
      access: { 'y.ts': "export const y = 1\nexport type X = typeof import('../log/x.js').x\n" }
    },
    plugins: { 'big.ts': plugin, 'small.ts': 'export const s = 1\n' }
  })
  const run = await script(['--root', dir, '--json'])
  t.equal(run.code, 1, 'exits 1')
  const findings = JSON.parse(run.stdout) as Record<CheckName, string[]>
  t.same(findings.cycles.sort(), [
    'lib/a.ts -> lib/b.ts -> lib/a.ts',
    'lib/access/y.ts -> lib/log/x.ts -> lib/access/y.ts',
    'lib/self.ts -> lib/self.ts'
  ], 'import type, { type X } and import() types make circles')
  t.same(findings['dir-cycles'], ['lib/access -> lib/log -> lib/access'])
  t.same(findings['lib-plugins'], ['lib/c.ts imports plugins/big.ts'])
  t.same(findings['plugin-size'], ['plugins/big.ts has 151 lines (over 150)'])

  const text = await script(['--root', dir, '--only', 'lib-plugins'])
  t.equal(text.code, 1)
  t.match(text.stdout, /^FAIL lib-plugins: lib\/c\.ts imports plugins\/big\.ts$/m)
  t.match(text.stdout, /^note cycles: lib\/a\.ts -> lib\/b\.ts -> lib\/a\.ts$/m, 'an unchecked finding is still printed')
  const unchecked = await script(['--root', dir, '--only', 'cycles'])
  t.match(unchecked.stdout, /^note plugin-size: /m)
  const unknown = await script(['--only', 'sizes'])
  t.not(unknown.code, 0)
  t.match(unknown.stderr, /--only: unknown check "sizes"/)
})

t.test('a tree with no finding passes every check', async t => {
  const dir = t.testdir({
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' }, include: ['lib/**/*.ts', 'plugins/**/*.ts'] }),
    lib: { 'a.ts': "import type { B } from './b.js'\nexport type A = B\n", 'b.ts': 'export type B = 1\n' },
    plugins: { 'p.ts': "import type { A } from '../lib/a.js'\nexport const p: A = 1\n" }
  })
  const run = await script(['--root', dir])
  t.equal(run.code, 0)
  for (const name of CHECKS) t.match(run.stdout, new RegExp(`^ok +${name}$`, 'm'))
})

t.test('findCycles on a long chain and a larger knot', async t => {
  const chain = new Map<string, string[]>()
  for (let i = 0; i < 20000; i++) chain.set(`f${i}`, i + 1 < 20000 ? [`f${i + 1}`] : [])
  t.same(findCycles(chain), [], 'a 20,000-file chain: no circle, no stack overflow')
  chain.set('f19999', ['f0'])
  const [knot] = findCycles(chain)
  t.equal(knot.members.length, 20000)
  t.equal(knot.circle.length, 20001)
  const graph = new Map([['a', ['b']], ['b', ['c', 'a']], ['c', ['a']], ['d', ['a']]])
  t.same(findCycles(graph), [{ circle: ['a', 'b', 'a'], members: ['a', 'b', 'c'] }], 'the shortest circle, all members of the knot')
  t.same(directoryGraph(new Map([['lib/x.ts', ['lib/log/a.ts']], ['lib/log/a.ts', ['lib/log/b.ts', 'plugins/p.ts']], ['plugins/p.ts', ['lib/x.ts']]])),
    new Map([['lib', ['lib/log']], ['lib/log', []]]), 'one node per lib/ directory, lib/*.ts as "lib", edges inside a module dropped')
})
