import { printRatios, throughput } from './harness.js'
import type { Scenario } from './harness.js'
import { startCollector } from './collector.js'

/**
 * The suite's budgets: the logging suite (forensic + access + heartbeat) and the full suite (the
 * default rules and the attack log too), against bare Fastify and Fastify's own pino request
 * logging, all writing to one loopback TCP collector in its own process.
 */
export default async function (): Promise<void> {
  const collector = await startCollector()
  try {
    const scenarios: Scenario[] = [
      { name: 'fastify (bare)', module: 'servers/hello.js' },
      { name: 'fastify logger: true (pino, /dev/null)', module: 'servers/hello.js', args: { logger: true } },
      { name: 'logging suite (forensic+access+heartbeat)', module: 'servers/suite.js', args: { collector: collector.url } },
      { name: 'logging suite, forensic batched', module: 'servers/suite.js', args: { collector: collector.url, batched: true } },
      { name: 'full suite (+ default rules, attack log)', module: 'servers/suite.js', args: { collector: collector.url, rules: true } },
      { name: 'full suite, forensic batched', module: 'servers/suite.js', args: { collector: collector.url, rules: true, batched: true } }
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
