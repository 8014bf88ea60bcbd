import { loadRules, RuleEngine, RuleSetBuilder } from '../lib/rules/index.js'
import { configureSecLang } from '../lib/rules/seclang/index.js'
import { allocatedBytesPer } from './alloc.js'
import { trafficMix } from './crs-traffic.js'

/**
 * The traffic mix's heap allocation per request with the CRS at PL1 and PL4, detect mode (see
 * ./alloc.ts for how it is counted): what the engine makes and drops for every request, the
 * garbage collector's work to come.
 */
export async function printCrsAllocation (paths: string[]): Promise<void> {
  const rows: Array<[string, number[]]> = trafficMix().map(([name]) => [name, []])
  for (const paranoia of [1, 4]) {
    const builder = new RuleSetBuilder()
    configureSecLang(builder, { paranoia })
    await loadRules(paths, builder)
    const engine = new RuleEngine(builder.build(), { mode: 'detect' })
    trafficMix().forEach(([, input], i) => {
      const n = input.body === undefined ? 1000 : 200
      for (let k = 0; k < 100; k++) engine.check(input)
      rows[i][1].push(allocatedBytesPer(() => engine.check(input), n))
    })
  }
  process.stdout.write('traffic mix: KB allocated per request (V8 heap, collections accounted) at PL1 and PL4, detect mode\n')
  for (const [name, [pl1, pl4]] of rows) {
    process.stdout.write(`  ${name.padEnd(16)} PL1 ${(pl1 / 1024).toFixed(1).padStart(7)} KB   PL4 ${(pl4 / 1024).toFixed(1).padStart(7)} KB\n`)
  }
}
