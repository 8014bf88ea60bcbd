import { againstBareAndPino, PINO } from './hello-world.js'

/**
 * The suite's budgets (DESIGN.md, Budgets): the logging suite (forensic `immediate: 'turn'` +
 * access JSON + heartbeat) and the full suite (the default rules and the attack log too), against
 * bare Fastify and Fastify's own pino request logging, all writing to one loopback TCP collector
 * in its own process.
 */
export default async function (): Promise<void> {
  await againstBareAndPino(url => [
    {
      name: 'logging suite (forensic+access+heartbeat)',
      module: 'servers/suite.js',
      args: { collector: url },
      budget: { addedMicros: 8, ratio: { min: 0.75 }, shareOfAdded: { max: 0.5, of: PINO } }
    },
    {
      name: 'full suite (+ default rules, attack log)',
      module: 'servers/suite.js',
      args: { collector: url, rules: true },
      budget: { addedMicros: 15, ratio: { min: 0.60 } }
    }
  ])
}
