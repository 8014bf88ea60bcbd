import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The folder of the rule set shipped with the package (`rules/default` at the package root).
 * Found by walking up from this module, so it works from the sources and from dist/ alike.
 */
export function defaultRulesDir (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fastify-waflog') {
      return join(dir, 'rules', 'default')
    }
    const up = dirname(dir)
    if (up === dir) throw new Error('fastify-waflog: cannot find the package root (rules/default)')
    dir = up
  }
}
