import { againstBareAndPino } from './hello-world.js'

/**
 * The suite's budgets: the logging suite (forensic + access + heartbeat) and the full suite (the
 * default rules and the attack log too), against bare Fastify and Fastify's own pino request
 * logging, all writing to one loopback TCP collector in its own process.
 */
export default async function (): Promise<void> {
  await againstBareAndPino(url => [
    { name: 'logging suite (forensic+access+heartbeat)', module: 'servers/suite.js', args: { collector: url } },
    { name: 'logging suite, forensic batched', module: 'servers/suite.js', args: { collector: url, batched: true } },
    { name: 'full suite (+ default rules, attack log)', module: 'servers/suite.js', args: { collector: url, rules: true } },
    { name: 'full suite, forensic batched', module: 'servers/suite.js', args: { collector: url, rules: true, batched: true } }
  ])
}
