import { Session } from 'node:inspector/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { RuleEngine } from '../lib/rules/index.js'
import { allocatedBytesPer } from './alloc.js'

/**
 * What the rule check with the default rules allocates per request, in process: `begin` and
 * phase 1, as the plugin runs them for a GET (phase 2 has nothing to do without a body), result
 * cache on, warm. The benchmark's GET as wrk sends it (`Host` only) and a hello-world GET with a
 * User-Agent and Accept, as bench/servers/suite.ts's inject sends it. Bytes are counted, not
 * timed (./alloc.ts), so one run of each build is exact whatever the load; `--base` counts
 * another build's dist/ too (it must sit under this repository's node_modules). `--heap` adds the
 * sampling heap profile of this build: bytes per check by allocating function, collected
 * objects included.
 *
 *   node dist/bench/rule-check-alloc.js --base .ab/base
 *   node dist/bench/rule-check-alloc.js --heap
 */
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    heap: { type: 'boolean', default: false },
    checks: { type: 'string', default: '20000' }
  }
})
const CHECKS = Number(values.checks)
if (!Number.isInteger(CHECKS) || CHECKS < 100) throw new Error(`rule-check-alloc: --checks must be a whole number of 100 or more (got ${values.checks})`)

const REQUESTS: Array<[string, string, string[]]> = [
  ['wrk GET', 'GET /products?id=42&sort=price HTTP/1.1', ['Host', '127.0.0.1:3000']],
  ['hello GET', 'GET / HTTP/1.1', ['Host', 'localhost:80', 'User-Agent', 'Mozilla/5.0 bench', 'Accept', '*/*']]
]

type Check = () => void

async function checksOf (dist: string): Promise<Check[]> {
  const from = (path: string): string => pathToFileURL(resolve(dist, path)).href
  const build = await import(from('lib/rules/build-engine.js')) as typeof import('../lib/rules/build-engine.js')
  const node = await import(from('lib/rules/node-input.js')) as typeof import('../lib/rules/node-input.js')
  const cache = await import(from('lib/rules/result-cache.js')) as typeof import('../lib/rules/result-cache.js')
  const { engine } = await build.buildEngine({}, undefined, cache.resultCacheOf(undefined))
  return REQUESTS.map(([, line, headers]) => () => {
    // A fresh input per check, as the plugin makes one per request.
    const tx = (engine as RuleEngine).begin(node.inputFromRawHead(line, headers.slice(), '127.0.0.1'))
    engine.phase(tx, 1)
  })
}

function bytesPerCheck (check: Check): number {
  for (let i = 0; i < 5000; i++) check()
  return allocatedBytesPer(check, CHECKS)
}

const sides: Array<[string, Check[]]> = []
if (values.base !== undefined) sides.push([values.base, await checksOf(values.base)])
sides.push(['this build', await checksOf(new URL('..', import.meta.url).pathname)])
process.stdout.write(`rule-check-alloc: bytes allocated per check (begin + phase 1, default rules, result cache warm), ${CHECKS} checks\n`)
REQUESTS.forEach(([name], i) => {
  const counts = sides.map(([, checks]) => bytesPerCheck(checks[i]).toFixed(0))
  process.stdout.write(`  ${name.padEnd(10)} ${counts.join(' -> ')}${sides.length > 1 ? `  (${sides.map(([s]) => s).join(' -> ')})` : ''}\n`)
})

if (values.heap) {
  const checks = sides[sides.length - 1][1]
  const session = new Session()
  session.connect()
  await session.post('HeapProfiler.enable')
  for (const [i, [name]] of REQUESTS.entries()) {
    for (let k = 0; k < 5000; k++) checks[i]()
    await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
    for (let k = 0; k < CHECKS; k++) checks[i]()
    const { profile } = await session.post('HeapProfiler.stopSampling')
    const bytes = new Map<string, number>()
    const walk = (node: typeof profile.head): void => {
      const f = node.callFrame
      if (node.selfSize > 0 && f.url.includes('/lib/')) {
        const at = `${f.functionName === '' ? '(anonymous)' : f.functionName} ${f.url.replace(/.*\/lib\//, 'lib/')}:${f.lineNumber + 1}`
        bytes.set(at, (bytes.get(at) ?? 0) + node.selfSize)
      }
      for (const c of node.children) walk(c)
    }
    walk(profile.head)
    let total = 0
    for (const b of bytes.values()) total += b
    process.stdout.write(`${name}: sampled ${(total / CHECKS).toFixed(0)} bytes per check in lib/ (dist line numbers)\n`)
    for (const [at, b] of [...bytes].sort((x, y) => y[1] - x[1]).slice(0, 15)) process.stdout.write(`  ${(b / CHECKS).toFixed(0).padStart(6)}  ${at}\n`)
  }
  session.disconnect()
}
