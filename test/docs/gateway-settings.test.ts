import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { ConfigError, ENV_SETTINGS, loadConfig } from '../../example-app/config.js'
import { readDoc } from '../helpers/markdown.js'

/**
 * docs/gateway.md names every setting the gateway reads and every WAF_* variable. The settings
 * are asked of the gateway itself: a file with an unknown key in a section is refused with the
 * list of the section's known keys, so a setting added to the code and not to the docs fails here.
 */

const dir = mkdtempSync(join(tmpdir(), 'waflog-settings-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** The known keys of the section at `path` (a dotted path into the YAML), as the gateway lists them. */
function knownKeys (path: string[]): string[] {
  const probe: Record<string, unknown> = { zzzUnknown: 1 }
  let doc: unknown = probe
  for (const key of [...path].reverse()) doc = key === '[0]' ? [{ prefix: '/', ...(doc as object) }] : { [key]: doc }
  const file = join(dir, 'probe.yaml')
  writeFileSync(file, stringify(doc))
  try {
    loadConfig({ WAF_CONFIG: file }, dir)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    const m = /is not a known setting \(known: ([^)]*)\)/.exec(err.message)
    if (m !== null) return (m[1] ?? '').split(', ')
    throw err
  }
  throw new Error(`the gateway took an unknown setting under ${path.join('.') || 'the top level'}`)
}

const SECTIONS: string[][] = [[], ['listen'], ['domains', 'shop.example'], ['routes', '[0]'], ['rules'], ['access'], ['attack'],
  ['heartbeat'], ['rateLimit'], ['upstreamTls'], ['status'], ['metrics'], ['health'], ['forwardedHeaders'], ['timeouts'], ['channels']]

t.test('every setting of the gateway is in the settings table of docs/gateway.md', async t => {
  const doc = readDoc('docs/gateway.md')
  const start = doc.indexOf('### Every setting')
  t.ok(start >= 0, 'docs/gateway.md has a settings table')
  const rest = doc.slice(start + 1)
  const next = rest.search(/\n#{1,3} /)
  const table = next === -1 ? rest : rest.slice(0, next)
  const rowOf = (setting: string): string => table.split('\n').find(l => l.startsWith(`| \`${setting}\``)) ?? ''
  let count = 0
  for (const section of SECTIONS) {
    for (const key of knownKeys(section)) {
      if (key === 'prefix' && section[0] === 'routes') continue
      const base = section[0] === 'domains' ? 'domains.<host>' : section[0] === 'routes' ? 'routes' : section.join('.')
      const name = base === '' ? key : `${base}.${key}`
      // Named in a row of its own (`listen.host`, or `forwardedHeaders.x`, `.y` in a shared row),
      // or listed in its section's row (a domain's, a route's, metrics' keys).
      const named = table.includes(`\`${name}\``) || table.includes(`\`${name}.`) ||
        (section.length > 0 && table.includes(`, \`.${key}\``)) || new RegExp(`\\b${key}\\b`).test(rowOf(base))
      t.ok(named, `${name} is documented`)
      count++
    }
  }
  t.ok(count > 50, `${count} settings checked`)
})

t.test('every WAF_* variable is in the environment table', async t => {
  const doc = readDoc('docs/gateway.md')
  for (const name of Object.keys(ENV_SETTINGS)) t.match(doc, new RegExp(`\\| [^\\n]*\`${name}\``), `${name} is documented`)
})
