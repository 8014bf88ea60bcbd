import type { FastifyInstance } from 'fastify'

/**
 * Server side of a benchmark scenario: imports the scenario module, builds its app, listens on an
 * ephemeral loopback port, tells the parent the port, and closes when told.
 */
const [modulePath, argsJson] = process.argv.slice(2)
const mod = await import(new URL(modulePath, new URL('./', import.meta.url)).href) as { build: (args: Record<string, unknown>) => Promise<FastifyInstance> }
try {
  const app = await mod.build(JSON.parse(argsJson) as Record<string, unknown>)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const addr = app.server.address()
  process.send?.({ port: typeof addr === 'object' && addr !== null ? addr.port : 0 })
  process.on('message', m => {
    if (m === 'close') void app.close().then(() => process.exit(0))
    if (m === 'cpu') {
      const u = process.cpuUsage()
      process.send?.({ cpu: u.user + u.system })
    }
  })
} catch (err) {
  process.send?.({ error: String((err as Error).stack ?? err) })
  process.exit(1)
}
