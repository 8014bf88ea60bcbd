import cluster from 'node:cluster'
import { fileURLToPath } from 'node:url'
import { ConfigError, loadConfig } from './config.js'
import { Supervisor } from './primary.js'
import { runWorker } from './worker.js'

/**
 * `npm start` and `waf-gateway`: a primary process that loads the configuration and runs the
 * gateway in `workers` node:cluster workers (one by default), restarting those that die. SIGHUP
 * reloads the configuration and the rules with no failed request, SIGUSR1 reopens the log files,
 * SIGTERM and SIGINT close gracefully: in-flight requests finish, a final heartbeat goes out and
 * the channels drain before the process exits. See primary.ts and worker.ts.
 */

function fail (message: string): never {
  process.stderr.write(`fastify-waflog gateway: ${message}\n`)
  process.exit(1)
}

/**
 * Runs the gateway with the configuration `env` names (`WAF_CONFIG`, `WAF_*`), or the embedded
 * defaults. In a cluster worker (the same script, forked by the primary) it runs the worker.
 */
export async function runGateway (env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Promise<void> {
  if (cluster.isWorker) {
    runWorker()
    return
  }
  let loaded
  try {
    loaded = loadConfig(env, cwd)
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message)
    throw err
  }
  for (const w of loaded.warnings) process.stderr.write(`fastify-waflog gateway: ${w}\n`)
  await new Supervisor(env, cwd).start(loaded.config)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runGateway().catch(err => fail((err as Error).stack ?? String(err)))
}
