import type { FastifyInstance } from 'fastify'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../example-app/config.js'
import { buildGateway } from '../../example-app/gateway.js'
import { recordOutcomes } from './app.js'
import type { CrsApp } from './app.js'

/**
 * The gateway (example-app) as the CRS runner's server: the CRS in detect mode, every log into
 * files under `dir`, rate limiting off, in front of `upstream` (an albedo, test/helpers/albedo.ts),
 * so the response rules read what the upstream answered, as reply-from streams it.
 */
export async function buildCrsGateway (dir: string, rules: string[], upstream: string): Promise<CrsApp> {
  const { config } = loadConfig({
    WAF_UPSTREAM: upstream,
    WAF_RATE_LIMIT_MAX: '0',
    WAF_MODE: 'detect',
    WAF_LOG_DIR: join(dir, 'logs')
  }, dir)
  // The gateway's primary makes the log folder before it starts; buildGateway, as waf-socket,
  // refuses a file channel whose folder does not exist.
  mkdirSync(config.logDir, { recursive: true })
  config.rules = { ...config.rules, files: rules, defaultRules: false, crs: undefined }
  const app: FastifyInstance = await buildGateway(config, { defaultUpstream: upstream, logger: false })
  const outcome = recordOutcomes(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { app, port, outcome, close: async () => { await app.close() } }
}
