import cluster from 'node:cluster'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { ConfigError, loadConfig } from './config.js'
import type { GatewayConfig } from './config.js'
import { buildGateway } from './gateway.js'
import { startDemoUpstream } from './upstream.js'

/**
 * `npm start`: loads the configuration, starts the demo upstream when no upstream is configured,
 * and runs the gateway in this process or, with `workers > 1`, in node:cluster workers that the
 * primary restarts when they die. SIGTERM and SIGINT close gracefully: in-flight requests finish,
 * a final heartbeat goes out and the channels drain before the process exits.
 */

/** How long a graceful close may take before the process exits anyway. */
const CLOSE_DEADLINE_MS = 15_000

function print (line: string): void {
  process.stdout.write(line + '\n')
}

function fail (message: string): never {
  process.stderr.write(`fastify-waflog gateway: ${message}\n`)
  process.exit(1)
}

/** Prints where the gateway listens and where its logs go; `port` is the bound one (the config may say 0). */
function banner (config: GatewayConfig, port: number, upstream: string, demo: boolean): void {
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
  const host = (h: string): string => h.includes(':') ? `[${h}]` : h
  const where = `http://${host(shown)}:${port}`
  const lines = [
    `fastify-waflog gateway listening on http://${host(config.host)}:${port} (${config.workers} worker${config.workers === 1 ? '' : 's'}, mode ${config.mode})`,
    `  config:   ${config.source}`,
    `  upstream: ${upstream}${demo ? ' (the bundled demo upstream)' : ''}`
  ]
  for (const [name, url] of Object.entries(config.channels)) lines.push(`  ${(name + ' log:').padEnd(14)}${url}`)
  lines.push(`  status:   ${where}${config.status.path} (from ${config.status.allow.join(', ')})`)
  lines.push(`  try:      curl '${where}/?q=1%27%20or%201=1'   # 403, and a line in the attack log`)
  // One write: a reader that sees the first line (a test, a supervisor) sees the whole banner.
  print(lines.join('\n'))
}

/** Creates the log folder for the file channels that write into it. */
function prepareLogDir (config: GatewayConfig): void {
  if (Object.values(config.channels).some(url => url.startsWith('file:'))) mkdirSync(config.logDir, { recursive: true })
}

async function runWorker (config: GatewayConfig, upstream: string, onListening: (port: number) => void, onClosed: () => void): Promise<FastifyInstance> {
  const app = await buildGateway(config, { defaultUpstream: upstream })
  await app.listen({ host: config.host, port: config.port })
  const addr = app.server.address()
  onListening(typeof addr === 'object' && addr !== null ? addr.port : config.port)
  let closing = false
  const close = (): void => {
    if (closing) return
    closing = true
    setTimeout(() => {
      process.stderr.write('fastify-waflog gateway: graceful close took too long; exiting\n')
      process.exit(1)
    }, CLOSE_DEADLINE_MS).unref()
    app.close().then(() => {
      onClosed()
      process.exit(0)
    }, err => {
      process.stderr.write(`fastify-waflog gateway: close failed: ${String(err)}\n`)
      process.exit(1)
    })
  }
  process.on('SIGTERM', close)
  process.on('SIGINT', close)
  // In a cluster the primary asks with a message, since a signal to the group would reach both.
  process.on('message', m => { if (m === 'shutdown') close() })
  return app
}

function runPrimary (config: GatewayConfig, upstream: string, demo: boolean, stopDemo: () => void): void {
  let shuttingDown = false
  let listening = 0
  const fork = (): void => {
    const w = cluster.fork({ WAF_UPSTREAM: upstream })
    w.on('listening', (address: { port: number }) => {
      listening++
      if (listening === config.workers) banner(config, address.port, upstream, demo)
    })
  }
  for (let i = 0; i < config.workers; i++) fork()
  cluster.on('exit', (worker, code, signal) => {
    if (shuttingDown) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        stopDemo()
        process.exit(0)
      }
      return
    }
    process.stderr.write(`fastify-waflog gateway: worker ${worker.id} died (${signal ?? code}); starting another\n`)
    fork()
  })
  const shutdown = (): void => {
    if (shuttingDown) return
    shuttingDown = true
    for (const w of Object.values(cluster.workers ?? {})) w?.send('shutdown')
    setTimeout(() => process.exit(1), CLOSE_DEADLINE_MS + 1000).unref()
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
}

async function main (): Promise<void> {
  let loaded
  try {
    loaded = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message)
    throw err
  }
  const { config, warnings } = loaded
  for (const w of warnings) process.stderr.write(`fastify-waflog gateway: ${w}\n`)

  if (cluster.isWorker) {
    await runWorker(config, config.upstream ?? fail('worker started without an upstream'), () => {}, () => {})
    return
  }

  prepareLogDir(config)
  let upstream = config.upstream
  let stopDemo = (): void => {}
  if (upstream === undefined) {
    const demo = await startDemoUpstream()
    upstream = demo.url
    stopDemo = () => { demo.server.close() }
  }
  const demo = config.upstream === undefined
  if (config.workers > 1) {
    runPrimary(config, upstream, demo, stopDemo)
    return
  }
  await runWorker(config, upstream, port => banner(config, port, upstream, demo), stopDemo)
}

/** Errors that explain themselves (a bad option, a rule file that does not load): the message is enough. */
const SELF_EXPLAINING = new Set(['TypeError', 'RangeError', 'RuleLoadError', 'ConfigError'])

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch(err => {
    const e = err as Error
    fail(SELF_EXPLAINING.has(e.name) ? e.message : (e.stack ?? String(err)))
  })
}
