import { printRatios, throughput } from './harness.js'
import type { Scenario } from './harness.js'
import { startCollector } from './collector.js'

export const BARE = 'fastify (bare)'
export const PINO = 'fastify logger: true (pino, /dev/null)'

/**
 * Hello world, interleaved rounds: the contenders (given the URL of a loopback TCP collector in
 * its own process) side by side with bare Fastify and with Fastify's own pino request logging
 * (`logger: true`, to /dev/null), against bare Fastify with the contenders' budgets, and against
 * pino; then what the collector got.
 */
export async function againstBareAndPino (contenders: (collectorUrl: string) => Scenario[]): Promise<void> {
  const collector = await startCollector()
  try {
    const scenarios: Scenario[] = [
      { name: BARE, module: 'servers/hello.js' },
      { name: PINO, module: 'servers/hello.js', args: { logger: true } },
      ...contenders(collector.url)
    ]
    const results = await throughput(scenarios)
    printRatios('hello world (median of interleaved rounds)', results, BARE, { budgets: true })
    printRatios('the same, against pino request logging', results, PINO)
    const got = await collector.count()
    process.stdout.write(`  collector received ${got.lines} lines, ${got.bytes} bytes\n`)
  } finally {
    await collector.close()
  }
}
