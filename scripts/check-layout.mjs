#!/usr/bin/env node
// @ts-check
/**
 * The layout checks of the source tree (issue 16's "Done when"), with the TypeScript compiler's
 * own module resolution over the files tsconfig.json compiles:
 *
 *   cycles        no circle of imports among the sources; `import type`, `export ... from` and
 *                 `import()` (types included) count like any import
 *   dir-cycles    no circle among lib/'s modules (its top directories: lib/log, lib/access, ...)
 *   lib-plugins   nothing under lib/ imports from plugins/ (lib is the framework-free core)
 *   plugin-size   no file under plugins/ is over 150 lines
 *
 *   node scripts/check-layout.mjs [--only cycles,lib-plugins,...] [--root DIR] [--json]
 *
 * Prints one line per finding (FAIL for a checked rule, note for one left out by --only) or,
 * with --json, the findings per check; exits 1 if a checked rule is broken. `checkLayout(root)`
 * returns the findings; test/scripts/check-layout.test.ts runs both.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createRequire } from 'node:module'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const CHECKS = /** @type {const} */ (['cycles', 'dir-cycles', 'lib-plugins', 'plugin-size'])
export const PLUGIN_MAX_LINES = 150

/** Repository-relative path with forward slashes. */
function rel (root, file) {
  return relative(root, file).split(sep).join('/')
}

/**
 * The import graph of the project's sources: file -> the project files it imports (relative
 * paths from `root`), resolved as tsc resolves them (NodeNext: './x.js' is './x.ts').
 * @param {string} root
 * @returns {Map<string, string[]>}
 */
export function importGraph (root) {
  // loaded here, not at the top: findCycles and directoryGraph need no compiler
  /** @type {typeof import('typescript')} */
  const ts = createRequire(import.meta.url)('typescript')
  const configPath = join(root, 'tsconfig.json')
  const read = ts.readConfigFile(configPath, ts.sys.readFile)
  if (read.error !== undefined) throw new Error(`tsconfig.json: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`)
  const config = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configPath)
  const files = new Set(config.fileNames.filter(f => !f.endsWith('.d.ts')).map(f => rel(root, f)))
  /** @type {Map<string, string[]>} */
  const graph = new Map()
  for (const file of [...files].sort()) {
    const abs = join(root, file)
    const imports = ts.preProcessFile(readFileSync(abs, 'utf8'), true, true).importedFiles
    const targets = new Set()
    for (const { fileName } of imports) {
      const resolved = ts.resolveModuleName(fileName, abs, config.options, ts.sys, undefined, undefined, ts.ModuleKind.ESNext).resolvedModule
      if (resolved === undefined || resolved.isExternalLibraryImport === true) continue
      const target = rel(root, resolved.resolvedFileName)
      if (files.has(target)) targets.add(target)
    }
    graph.set(file, [...targets].sort())
  }
  return graph
}

/**
 * The circles of the graph: each strongly connected component of more than one file (or a file
 * importing itself): its members and one shortest circle through it, a -> b -> ... -> a.
 * @param {Map<string, string[]>} graph
 * @returns {Array<{ circle: string[], members: string[] }>}
 */
export function findCycles (graph) {
  // Tarjan's algorithm, iterative (a deep import chain must not overflow the stack)
  let counter = 0
  /** @type {Map<string, number>} */ const index = new Map()
  /** @type {Map<string, number>} */ const low = new Map()
  /** @type {string[]} */ const stack = []
  const onStack = new Set()
  /** @type {string[][]} */ const components = []
  for (const start of graph.keys()) {
    if (index.has(start)) continue
    /** @type {Array<[string, number]>} */
    const work = [[start, 0]]
    while (work.length > 0) {
      const frame = work[work.length - 1]
      const [node, i] = frame
      if (i === 0) {
        index.set(node, counter); low.set(node, counter); counter++
        stack.push(node); onStack.add(node)
      }
      const next = graph.get(node) ?? []
      if (i < next.length) {
        frame[1] = i + 1
        const to = next[i]
        if (!index.has(to)) work.push([to, 0])
        else if (onStack.has(to)) low.set(node, Math.min(/** @type {number} */ (low.get(node)), /** @type {number} */ (index.get(to))))
        continue
      }
      work.pop()
      if (work.length > 0) {
        const parent = work[work.length - 1][0]
        low.set(parent, Math.min(/** @type {number} */ (low.get(parent)), /** @type {number} */ (low.get(node))))
      }
      if (low.get(node) === index.get(node)) {
        /** @type {string[]} */ const component = []
        let member
        do {
          member = /** @type {string} */ (stack.pop())
          onStack.delete(member)
          component.push(member)
        } while (member !== node)
        if (component.length > 1 || (graph.get(node) ?? []).includes(node)) components.push(component.sort())
      }
    }
  }
  return components.map(component => {
    const circle = circleThrough(graph, new Set(component), component[0])
    return { circle, members: component }
  })
}

/** A shortest circle from `from` back to itself inside `members` (breadth-first). */
function circleThrough (graph, members, from) {
  const previous = new Map()
  const queue = [from]
  for (let k = 0; k < queue.length; k++) {
    const node = queue[k]
    for (const to of graph.get(node) ?? []) {
      if (!members.has(to)) continue
      if (to === from) {
        const path = [from]
        for (let at = node; at !== from; at = previous.get(at)) path.splice(1, 0, at)
        return [...path, from]
      }
      if (!previous.has(to)) {
        previous.set(to, node)
        queue.push(to)
      }
    }
  }
  return [from, from]
}

/** A circle as a line: the circle, and the other members of its component if any. */
function describe ({ circle, members }) {
  const rest = members.filter(m => !circle.includes(m))
  return `${circle.join(' -> ')}${rest.length > 0 ? ` (the same knot also holds ${rest.join(', ')})` : ''}`
}

/**
 * The graph of lib/'s modules: each directory directly under lib/ is one node (lib/log,
 * lib/access, ...; the files directly in lib/ are the node "lib"), an edge where a file of one
 * imports a file of another.
 * @param {Map<string, string[]>} graph
 */
export function directoryGraph (graph) {
  const moduleOf = (/** @type {string} */ file) => {
    const parts = file.split('/')
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]
  }
  /** @type {Map<string, Set<string>>} */
  const edges = new Map()
  for (const [file, targets] of graph) {
    if (!file.startsWith('lib/')) continue
    const from = moduleOf(file)
    if (!edges.has(from)) edges.set(from, new Set())
    for (const to of targets) if (to.startsWith('lib/') && moduleOf(to) !== from) edges.get(from)?.add(moduleOf(to))
  }
  return new Map([...edges].map(([k, v]) => [k, [...v].sort()]))
}

/**
 * Every finding of every check, as printable lines per check.
 * @param {string} [root]
 * @returns {Record<typeof CHECKS[number], string[]>}
 */
export function checkLayout (root = ROOT) {
  const graph = importGraph(root)
  const libPlugins = []
  const pluginSize = []
  for (const [file, targets] of graph) {
    if (file.startsWith('lib/')) for (const to of targets) if (to.startsWith('plugins/')) libPlugins.push(`${file} imports ${to}`)
    if (file.startsWith('plugins/')) {
      const text = readFileSync(join(root, file), 'utf8')
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
      if (lines > PLUGIN_MAX_LINES) pluginSize.push(`${file} has ${lines} lines (over ${PLUGIN_MAX_LINES})`)
    }
  }
  return {
    cycles: findCycles(graph).map(describe),
    'dir-cycles': findCycles(directoryGraph(graph)).map(describe),
    'lib-plugins': libPlugins,
    'plugin-size': pluginSize
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { only: { type: 'string' }, root: { type: 'string' }, json: { type: 'boolean' } } })
  const only = values.only === undefined ? [...CHECKS] : values.only.split(',').map(s => s.trim())
  for (const name of only) if (!CHECKS.includes(/** @type {any} */ (name))) throw new Error(`--only: unknown check "${name}" (known: ${CHECKS.join(', ')})`)
  const findings = checkLayout(values.root ?? ROOT)
  let failed = false
  if (values.json === true) console.log(JSON.stringify(findings))
  for (const name of CHECKS) {
    const lines = findings[name]
    const checked = only.includes(name)
    if (values.json !== true) {
      for (const line of lines) console.log(`${checked ? 'FAIL' : 'note'} ${name}: ${line}`)
      if (lines.length === 0) console.log(`ok   ${name}`)
    }
    if (checked && lines.length > 0) failed = true
  }
  process.exitCode = failed ? 1 : 0
}
