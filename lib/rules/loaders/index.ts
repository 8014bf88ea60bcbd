import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join, resolve } from 'node:path'
import { RuleLoadError } from '../errors.js'
import { RuleSetBuilder } from '../ruleset.js'
import { loadJsonRules } from './json.js'
import { loadYamlRules } from './yaml.js'

/** A rule-file loader: adds the rules of one file's text to the builder, returns how many. */
export type RuleLoader = (file: string, text: string, builder: RuleSetBuilder) => number

const loaders = new Map<string, RuleLoader>()

/** Registers a loader for file extensions (with the dot: `.conf`). The SecLang loader uses it. */
export function registerRuleLoader (extensions: readonly string[], loader: RuleLoader): void {
  for (const ext of extensions) loaders.set(ext.toLowerCase(), loader)
}

registerRuleLoader(['.yaml', '.yml'], loadYamlRules)
registerRuleLoader(['.json'], loadJsonRules)

/** The rule files of a path: the file itself, or a folder's files with a known extension, sorted by name. */
async function filesOf (path: string): Promise<string[]> {
  let st
  try {
    st = await stat(path)
  } catch (err) {
    throw new RuleLoadError(path, undefined, 'file', (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message)
  }
  if (!st.isDirectory()) return [path]
  const names = (await readdir(path)).filter(n => loaders.has(extname(n).toLowerCase())).sort()
  return names.map(n => join(path, n))
}

/** Loads one file into the builder. */
export async function loadRuleFile (file: string, builder: RuleSetBuilder): Promise<number> {
  const loader = loaders.get(extname(file).toLowerCase())
  if (loader === undefined) {
    const ext = extname(file)
    throw new RuleLoadError(file, undefined, 'file', ext === '.conf'
      ? 'SecLang (.conf) rule files need the SecLang loader, which is not available'
      : `unknown rule file type "${ext}"; expected ${[...loaders.keys()].join(', ')}`)
  }
  const text = await readFile(file, 'utf8')
  return loader(file, text, builder)
}

/** Loads files and folders (in the order given) into a builder (a new one by default). */
export async function loadRules (paths: string | readonly string[], builder = new RuleSetBuilder()): Promise<RuleSetBuilder> {
  for (const p of typeof paths === 'string' ? [paths] : paths) {
    for (const file of await filesOf(resolve(p))) await loadRuleFile(file, builder)
  }
  return builder
}
