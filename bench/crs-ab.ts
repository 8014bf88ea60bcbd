import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { RequestInput, RuleEngine } from '../lib/rules/index.js'
import { median } from './harness.js'

/**
 * Two builds of the engine on the CRS traffic mix (./crs-traffic.ts) in one process: each build's
 * dist/ is loaded, its PL engine built, and batches of the same requests run on each in turn,
 * the order alternating every round, so that whatever the host does in a minute falls on both
 * (this host's speed moved by up to 2x from minute to minute while idle, which single runs of
 * `npm run bench crs` cannot tell from a change). Printed per request kind: the median of the
 * rounds' median µs, the median of the rounds' CPU µs per request, and whether both builds
 * matched the same rules at the same places with the same scores. Both dist/ folders must sit
 * under this repository's node_modules (re2 is a native module, loaded once).
 *
 *   cp -r dist .ab/base   # at the commit before
 *   WAF_CORPUS=../shared/corpus node dist/bench/crs-ab.js --base .ab/base --rounds 15 --paranoia 1,4
 */
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '15' },
    paranoia: { type: 'string', default: '1' },
    requests: { type: 'string', default: 'all' }
  }
})
if (values.base === undefined) throw new Error('crs-ab: --base <the other build\'s dist/> is required')
const ROUNDS = Number(values.rounds)
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`crs-ab: --rounds must be a whole number of 1 or more (got ${values.rounds})`)
const LEVELS = values.paranoia.split(',').map(Number)
for (const pl of LEVELS) if (![1, 2, 3, 4].includes(pl)) throw new Error(`crs-ab: --paranoia must list levels 1 to 4 (got ${values.paranoia})`)

type Series = Array<[string, (n: number) => RequestInput]>
interface Side { engine: RuleEngine, series: Series }

async function load (dist: string, paranoia: number): Promise<Side> {
  const from = (path: string): string => pathToFileURL(resolve(dist, path)).href
  const rules = await import(from('lib/rules/index.js')) as typeof import('../lib/rules/index.js')
  const seclang = await import(from('lib/rules/seclang/index.js')) as typeof import('../lib/rules/seclang/index.js')
  const crsFiles = await import(from('bench/crs-rules.js')) as typeof import('./crs-rules.js')
  const traffic = await import(from('bench/crs-traffic.js')) as typeof import('./crs-traffic.js')
  const crs = crsFiles.crsRuleFiles()
  if (crs === undefined) throw new Error('crs-ab: no CRS found (../shared/corpus/crs or $WAF_CORPUS)')
  const builder = new rules.RuleSetBuilder()
  seclang.configureSecLang(builder, { paranoia })
  await rules.loadRules(crs.paths, builder)
  return { engine: new rules.RuleEngine(builder.build(), { mode: 'detect' }), series: traffic.trafficSeries() }
}

function matchesOf (side: Side, nth: (n: number) => RequestInput): string {
  return JSON.stringify(side.engine.check(nth(5000)).matches.map(m => [m.rule.id, m.location, m.score]))
}

const here = new URL('..', import.meta.url).pathname
process.stdout.write(`crs-ab: ${values.base} -> this build, ${ROUNDS} interleaved rounds, load average ${loadavg().map(l => l.toFixed(2)).join(' ')}\n`)
for (const paranoia of LEVELS) {
  const sides = [await load(values.base, paranoia), await load(here, paranoia)]
  const names = values.requests === 'all' ? sides[0].series.map(([n]) => n) : values.requests.split(',')
  for (const name of names) {
    const nths = sides.map(s => s.series.find(([n]) => n === name)?.[1])
    const [a, b] = nths
    if (a === undefined || b === undefined) throw new Error(`crs-ab: no request "${name}" in the traffic mix of both builds`)
    const batch = a(0).body === undefined ? 1000 : 200
    for (let i = 0; i < 200; i++) { sides[0].engine.check(a(i)); sides[1].engine.check(b(i)) }
    const same = matchesOf(sides[0], a) === matchesOf(sides[1], b)
    const micros: number[][] = [[], []]
    const cpu: number[][] = [[], []]
    let first = 1000
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of r % 2 === 0 ? [0, 1] : [1, 0]) {
        const nth = s === 0 ? a : b
        const inputs = Array.from({ length: batch }, (_, i) => nth(first + i))
        const samples: number[] = []
        const c0 = process.cpuUsage()
        for (const input of inputs) {
          const t0 = performance.now()
          sides[s].engine.check(input)
          samples.push((performance.now() - t0) * 1000)
        }
        const c = process.cpuUsage(c0)
        micros[s].push(median(samples))
        cpu[s].push((c.user + c.system) / batch)
      }
      first += batch
    }
    process.stdout.write(`PL${paranoia} ${name.padEnd(16)} median ${median(micros[0]).toFixed(1)} -> ${median(micros[1]).toFixed(1)} µs; ` +
      `CPU ${median(cpu[0]).toFixed(1)} -> ${median(cpu[1]).toFixed(1)} µs per request; ${same ? 'same matches' : 'MATCHES DIFFER'}\n`)
  }
}
