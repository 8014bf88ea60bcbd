import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * `npm run bench [name…]`: runs every `*.bench.js` beside this file (or only the named ones) one
 * after another, each printing its own side-by-side table.
 */
const dir = fileURLToPath(new URL('./', import.meta.url))
const wanted = process.argv.slice(2)
const benches = readdirSync(dir)
  .filter(f => f.endsWith('.bench.js'))
  .map(f => f.slice(0, -'.bench.js'.length))
  .filter(name => wanted.length === 0 || wanted.includes(name))
  .sort()

if (benches.length === 0) {
  process.stderr.write(`no benchmark matches ${wanted.join(', ')}\n`)
  process.exit(1)
}
process.stdout.write(`node ${process.version}, ${benches.length} benchmark(s): ${benches.join(', ')}\n`)
for (const name of benches) {
  const mod = await import(new URL(`./${name}.bench.js`, import.meta.url).href) as { default: () => Promise<void> }
  process.stdout.write(`\n== ${name}\n`)
  await mod.default()
}
