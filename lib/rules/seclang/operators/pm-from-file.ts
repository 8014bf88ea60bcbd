import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'

/**
 * Reads the phrases of `@pmFromFile a.data b.data`: each file is resolved beside the rule
 * file that names it, one phrase per line, blank lines and `#` comments skipped, as
 * ModSecurity reads them. Files are read once, at load time. A missing file throws with
 * its path; remote (`http…`) lists are refused, since loading rules never touches the net.
 */
export function readPhraseFiles (argument: string, ruleFile: string): string[] {
  const phrases: string[] = []
  const names = argument.split(/\s+/).filter(s => s.length > 0)
  if (names.length === 0) throw new Error('no file given')
  for (const name of names) {
    if (/^https?:/i.test(name)) throw new Error(`remote phrase list "${name}" is not fetched`)
    const path = isAbsolute(name) ? name : resolve(dirname(ruleFile), name)
    let text: string
    try {
      text = readFileSync(path, 'latin1')
    } catch (err) {
      throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
    for (const line of text.split(/\r?\n/)) {
      const p = line.trim()
      if (p.length === 0 || p.startsWith('#')) continue
      phrases.push(p)
    }
  }
  return phrases
}
