import type { FastifyInstance } from 'fastify'
import { isToWorker } from './cluster-messages.js'
import type { ToPrimary, ToWorker } from './cluster-messages.js'
import type { GatewayConfig } from './config.js'
import { buildGateway, rulesSummary } from './gateway.js'
import { certificateStoreOf } from './tls.js'

/**
 * A gateway worker (node:cluster): it gets its configuration from the primary, builds the
 * gateway, and listens when the primary says every worker of its generation is built, so that a
 * configuration some worker cannot load never serves a request. It drains on the primary's word
 * (a reload, or shutdown), reopens its log files on `reopen`, and answers the primary's metric
 * collections; a scrape of /metrics that reaches it is passed to the primary, which asks every
 * worker.
 */

/** How long a graceful close may take before the worker exits anyway. */
export const CLOSE_DEADLINE_MS = 15_000
/**
 * After this long, connections still open (a client stalled within its timeouts, a slow upstream)
 * are closed, so that their requests are logged (499) and the final heartbeat and the drain of
 * the channels fit in the deadline: the worker exits 0.
 */
const CUT_CONNECTIONS_MS = 10_000
/** How long a scrape waits for the primary's answer. */
const SCRAPE_TIMEOUT_MS = 5_000

/** Resolves once the message is handed to the IPC channel, so that exiting after it loses nothing. */
function send (m: ToPrimary): Promise<void> {
  return new Promise(resolve => {
    if (process.send === undefined || !process.connected) return resolve()
    process.send(m, undefined, {}, () => resolve())
  })
}

/** Why a listen failed, in one line (`bind EADDRINUSE …` with a stack trace says it worse). */
const LISTEN_ERRORS: Readonly<Record<string, string>> = { EADDRINUSE: 'the address is already in use', EACCES: 'permission denied', EADDRNOTAVAIL: 'the address is not on this host' }

function messageOf (err: unknown): string {
  const e = err as Error & { code?: string, address?: string, port?: number }
  const listen = e?.code === undefined ? undefined : LISTEN_ERRORS[e.code]
  if (listen !== undefined) return `cannot listen on ${e.address ?? ''}${e.port === undefined ? '' : `:${e.port}`}: ${listen} (${e.code as string})`
  // Errors that explain themselves (a bad option, a rule file that does not load): the message is enough.
  return ['TypeError', 'RangeError', 'RuleLoadError', 'ConfigError'].includes(e?.name) ? e.message : (e?.stack ?? String(err))
}

export function runWorker (): void {
  let app: FastifyInstance | undefined
  let config: GatewayConfig | undefined
  let closing = false
  // Set on drain: the health endpoint answers 503 from then on.
  const health = { draining: false }
  let scrapeSeq = 0
  const scrapes = new Map<number, (text: string) => void>()

  const scrape = (): Promise<string> => new Promise((resolve, reject) => {
    const seq = ++scrapeSeq
    const timer = setTimeout(() => {
      scrapes.delete(seq)
      reject(new Error('the primary did not answer the metrics scrape in time'))
    }, SCRAPE_TIMEOUT_MS)
    scrapes.set(seq, text => {
      clearTimeout(timer)
      resolve(text)
    })
    void send({ waf: 'scrape', seq })
  })

  /**
   * `shutdown`: the gateway goes away, so health says 503 and `drainDelay` lets load balancers
   * notice first. `replaced`: a reload, whose new workers already serve the same socket; health
   * stays 200 (a check reaching this worker must not take the gateway out) and the close starts at once.
   */
  const close = (why: 'shutdown' | 'replaced' = 'shutdown'): void => {
    if (closing) return
    closing = true
    const leaving = why === 'shutdown'
    if (leaving) health.draining = true
    // `health.drainDelay`: keep serving, health saying 503, so load balancers stop sending first.
    const drainDelay = app === undefined || !leaving ? 0 : config?.edge.health?.drainDelay ?? 0
    setTimeout(() => {
      process.stderr.write('fastify-waflog gateway: graceful close took too long; exiting\n')
      process.exit(1)
    }, drainDelay + CLOSE_DEADLINE_MS).unref()
    setTimeout(() => {
      // HTTP/1 servers; an HTTP/2 server's sessions are closed by its own graceful close.
      const server = app?.server as { closeAllConnections?: () => void } | undefined
      server?.closeAllConnections?.()
    }, drainDelay + CUT_CONNECTIONS_MS).unref()
    const closeApp = async (): Promise<void> => {
      if (app === undefined) return
      if (drainDelay > 0) await new Promise(resolve => setTimeout(resolve, drainDelay))
      await app.close()
    }
    closeApp().then(async () => {
      // After close: the final heartbeat went out, so the totals hold every request.
      if (app !== undefined && app.hasDecorator('wafHeartbeat')) await send({ waf: 'final', families: app.wafHeartbeat.metrics() })
      process.exit(0)
    }, err => {
      process.stderr.write(`fastify-waflog gateway: close failed: ${String(err)}\n`)
      process.exit(1)
    })
  }

  const fail = (err: unknown): void => {
    closing = true
    const done = app === undefined ? Promise.resolve() : app.close()
    void Promise.all([send({ waf: 'failed', message: messageOf(err) }), done.catch(() => {})]).finally(() => process.exit(1))
  }

  const onMessage = async (m: ToWorker): Promise<void> => {
    switch (m.waf) {
      case 'start':
        config = m.config
        try {
          // Read here, so that a reload reads the certificate files again.
          const certificates = certificateStoreOf(m.config)
          app = await buildGateway(m.config, { defaultUpstream: m.upstream, scrape, certificates, health })
          await app.ready()
        } catch (err) {
          fail(err)
          return
        }
        await send({ waf: 'ready', rules: rulesSummary(app) })
        return
      case 'listen':
        if (app === undefined || config === undefined || closing) return
        try {
          await app.listen({ host: config.host, port: config.port })
        } catch (err) {
          fail(err)
          return
        }
        {
          const addr = app.server.address()
          await send({ waf: 'listening', port: typeof addr === 'object' && addr !== null ? addr.port : config.port })
        }
        return
      case 'drain':
        close(m.why)
        return
      case 'reopen':
        if (app === undefined || closing || !app.hasDecorator('wafTransport')) return
        await send({ waf: 'reopened', files: await app.wafTransport.reopen() })
        return
      case 'collect':
        await send({ waf: 'collected', seq: m.seq, families: app !== undefined && app.hasDecorator('wafHeartbeat') ? app.wafHeartbeat.metrics() : [] })
        return
      case 'scraped':
        scrapes.get(m.seq)?.(m.text)
        scrapes.delete(m.seq)
    }
  }

  process.on('message', (m: unknown) => {
    if (isToWorker(m)) onMessage(m).catch(err => process.stderr.write(`fastify-waflog gateway: worker: ${messageOf(err)}\n`))
  })
  // The primary is the one to signal: a signal to the whole group (Ctrl-C, a hangup) must not
  // kill a worker outright. SIGINT/SIGTERM close gracefully; SIGHUP is the primary's to handle;
  // SIGUSR1 reopens (and keeps Node's inspector from starting on it).
  process.on('SIGTERM', () => close())
  process.on('SIGINT', () => close())
  process.on('SIGHUP', () => {})
  process.on('SIGUSR1', () => {
    if (app !== undefined && !closing) app.wafTransport.reopen().catch(() => {})
  })
  // The primary went away (killed): nothing will tell this worker to stop, so it stops itself.
  process.on('disconnect', () => close())
  void send({ waf: 'hello' })
}
