import t from 'tap'
import ts from 'typescript'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { docFiles, fencedBlocks, readDoc, REPO_ROOT } from '../helpers/markdown.js'
import type { FencedBlock } from '../helpers/markdown.js'

/**
 * Every TypeScript example in README.md and docs/*.md compiles against the built package, as a
 * user's app would see it: each ```ts block is a module of a scratch app whose node_modules holds
 * `fastify-waflog` as a link to this repository (so the package's `exports` map and its .d.ts
 * files in dist/ are what resolves) beside the repository's own dependencies (fastify,
 * @fastify/reply-from …), checked under strict settings. A block whose info string says
 * `fragment` (```ts fragment) is a piece of a larger program and is left out, counted.
 */

const STRICT: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,   // every block is a module of its own
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  // The package's .d.ts are checked with the examples; only the dependencies' own are skipped.
  skipLibCheck: true,
  types: ['node'],
  noEmit: true
}

export interface BlockDiagnostic { where: string, code: number, message: string }

/** Type-checks the blocks as modules of an app in `dir`; a diagnostic names the doc file and line. */
export function checkBlocks (blocks: FencedBlock[], dir: string): BlockDiagnostic[] {
  const src = join(dir, 'src')
  mkdirSync(src, { recursive: true })
  const origin = new Map<string, FencedBlock>()
  for (const block of blocks) {
    const name = join(src, `${block.file.replace(/[/.]/g, '_')}_${block.line}.ts`)
    writeFileSync(name, block.code + '\n')
    origin.set(name, block)
  }
  const program = ts.createProgram([...origin.keys()], STRICT)
  const out: BlockDiagnostic[] = []
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
    const file = d.file?.fileName
    const block = file === undefined ? undefined : origin.get(file)
    if (block === undefined || d.file === undefined || d.start === undefined) {
      out.push({ where: file ?? '(options)', code: d.code, message })
      continue
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start)
    // the block's first line is the one after its opening fence
    out.push({ where: `${block.file}:${block.line + 1 + line}`, code: d.code, message })
  }
  return out
}

/** A scratch app: package.json (ESM) and node_modules with the repository's dependencies and the package. */
export function scratchApp (): { dir: string, cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'waflog-docs-'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'docs-examples', private: true, type: 'module' }))
  const modules = join(dir, 'node_modules')
  mkdirSync(modules)
  const repoModules = join(REPO_ROOT, 'node_modules')
  for (const entry of readdirSync(repoModules)) {
    if (entry.startsWith('.')) continue
    symlinkSync(join(repoModules, entry), join(modules, entry), 'dir')
  }
  symlinkSync(REPO_ROOT, join(modules, 'fastify-waflog'), 'dir')
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

const TS_INFO = /^(ts|typescript)(\s|$)/

function examples (): { checked: FencedBlock[], fragments: FencedBlock[], js: FencedBlock[] } {
  const all = docFiles().flatMap(file => fencedBlocks(file, readDoc(file)))
  const ts = all.filter(b => TS_INFO.test(b.info))
  return {
    checked: ts.filter(b => !/\bfragment\b/.test(b.info)),
    fragments: ts.filter(b => /\bfragment\b/.test(b.info)),
    js: all.filter(b => /^(js|javascript|mjs)(\s|$)/.test(b.info))
  }
}

t.test('every ts block of the docs compiles against the built package', async t => {
  const built = join(REPO_ROOT, 'dist/plugins/index.d.ts')
  if (!existsSync(built)) {
    t.fail(`${built} is missing: build the package first (npm run build; npm test does)`)
    return
  }
  const { checked, fragments, js } = examples()
  t.ok(checked.length >= 15, `${checked.length} blocks to compile`)
  t.comment(`${checked.length} ts blocks compiled, ${fragments.length} marked fragment and skipped` +
    (fragments.length > 0 ? `: ${fragments.map(b => `${b.file}:${b.line}`).join(', ')}` : ''))
  t.same(js.map(b => `${b.file}:${b.line}`), [], 'code examples are TypeScript (```ts), so that they are checked')
  const app = scratchApp()
  t.teardown(app.cleanup)
  const diagnostics = checkBlocks(checked, app.dir)
  for (const d of diagnostics) t.fail(`${d.where}: TS${d.code}: ${d.message}`)
  t.equal(diagnostics.length, 0, 'no type errors')
})

t.test('the check can fail: a broken example is reported at its doc line', async t => {
  const app = scratchApp()
  t.teardown(app.cleanup)
  const broken: FencedBlock = {
    file: 'docs/broken.md',
    line: 10,
    info: 'ts',
    closed: true,
    code: [
      "import Fastify from 'fastify'",
      "import { wafSocket } from 'fastify-waflog'",
      'const app = Fastify()',
      "await app.register(wafSocket, { channels: { access: 'stdout:' }, closeTimeout: '5s' })"
    ].join('\n')
  }
  const diagnostics = checkBlocks([broken], app.dir)
  t.equal(diagnostics.length, 1, 'one error: closeTimeout is a number')
  t.equal(diagnostics[0]?.where, 'docs/broken.md:14', 'named by the doc file and the line in it')
})
