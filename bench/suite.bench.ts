import { againstBareAndPino, PINO } from './hello-world.js'

/**
 * The suite's budgets (DESIGN.md, Budgets): the logging suite (forensic `immediate: 'turn'` +
 * access JSON + heartbeat) and the full suite (the default rules and the attack log too), against
 * bare Fastify and Fastify's own pino request logging, all writing to one loopback TCP collector
 * in its own process. Beside them, what each logger of the logging suite adds alone, and one
 * plain write of the logging suite's bytes per request with no suite at all (servers/hello.ts):
 * the cost of a collector write at the fixed rate, where every request is an event-loop turn.
 */
export default async function (): Promise<void> {
  await againstBareAndPino(url => [
    { name: 'collector write only (740 B a request)', module: 'servers/hello.js', args: { writeTo: url, bytes: 740 } },
    { name: 'heartbeat only', module: 'servers/suite.js', args: { collector: url, only: ['heartbeat'] } },
    { name: 'forensic only (immediate: turn)', module: 'servers/suite.js', args: { collector: url, only: ['forensic'] } },
    { name: 'access JSON only', module: 'servers/suite.js', args: { collector: url, only: ['access'] } },
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
