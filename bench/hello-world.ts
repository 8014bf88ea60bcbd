import { printRatios, throughput } from './harness.js'
import type { Scenario } from './harness.js'
import { startCollector } from './collector.js'

/**
 * Hello world, 50 connections, interleaved rounds: the contenders (given the URL of a loopback
 * TCP collector in its own process) side by side with bare Fastify and with Fastify's own pino
 * request logging (`logger: true`, to /dev/null), as ratios to each; then what the collector got.
 */
export async function againstBareAndPino (contenders: (collectorUrl: string) => Scenario[]): Promise<void> {
  const collector = await startCollector()
  try {
    const scenarios: Scenario[] = [
      { name: 'fastify (bare)', module: 'servers/hello.js' },
      { name: 'fastify logger: true (pino, /dev/null)', module: 'servers/hello.js', args: { logger: true } },
      ...contenders(collector.url)
    ]
    const results = await throughput(scenarios, { durationSec: Number(process.env.BENCH_SECONDS ?? 5), rounds: Number(process.env.BENCH_ROUNDS ?? 3) })
    printRatios('hello world, 50 connections (median of interleaved rounds)', results, 'fastify (bare)')
    printRatios('the same, against pino request logging', results, 'fastify logger: true (pino, /dev/null)')
    const got = await collector.count()
    process.stdout.write(`  collector received ${got.lines} lines, ${got.bytes} bytes\n`)
  } finally {
    await collector.close()
  }
}
