import { existsSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where the benchmarks find a Core Rule Set: CRS v4 from the shared corpus ($WAF_CORPUS, or
 * ../shared/corpus beside the repository), else the CRS 3.3 of Debian's modsecurity-crs.
 * Returns the paths to load (crs-setup.conf first) and a label, or undefined when neither is there;
 * falling back to 3.3 is said on stderr.
 * CRS v4's setup file is copied once per process into a temporary folder, removed at exit.
 */
let found: { paths: string[], label: string } | undefined | null = null

export function crsRuleFiles (): { paths: string[], label: string } | undefined {
  if (found === null) found = locate()
  return found
}

function locate (): { paths: string[], label: string } | undefined {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
  const corpus = process.env.WAF_CORPUS ?? resolve(root, '..', 'shared', 'corpus')
  const v4 = join(corpus, 'crs')
  if (existsSync(join(v4, 'rules')) && existsSync(join(v4, 'crs-setup.conf.example'))) {
    const dir = mkdtempSync(join(tmpdir(), 'crs-bench-'))
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    const setup = join(dir, 'crs-setup.conf')
    copyFileSync(join(v4, 'crs-setup.conf.example'), setup)
    return { paths: [setup, join(v4, 'rules')], label: 'CRS v4 (corpus)' }
  }
  if (existsSync('/usr/share/modsecurity-crs/rules') && existsSync('/etc/modsecurity/crs/crs-setup.conf')) {
    // Said on stderr, not only in the label: a bench run from a copied dist/ (an A/B's base) finds no
    // corpus beside it and would otherwise compare CRS 3.3 with v4 without a word.
    process.stderr.write(`bench: no CRS v4 at ${v4} (set WAF_CORPUS): using Debian's CRS 3.3, whose figures are not comparable with v4's\n`)
    return { paths: ['/etc/modsecurity/crs/crs-setup.conf', '/usr/share/modsecurity-crs/rules'], label: 'CRS 3.3 (Debian)' }
  }
  return undefined
}
