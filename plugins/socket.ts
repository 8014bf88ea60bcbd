import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { SocketTransport } from '../lib/transport/transport.js'
import type { ChannelDefaults, ChannelOptions, Transport, TransportLogger, TransportWarning } from '../lib/transport/types.js'
import { checkOptionNames } from '../lib/options.js'
import { afterPendingCloses, installCore } from './core.js'

// Not TransportOptions (lib/transport/types.ts) reused: the plugin adds closeTimeout, takes Fastify's logger itself, and documents its own defaults.
export interface WafSocketOptions {
  /** Channel name → URL (`tcp://host:port`, `tls://…`, `udp://…`, `unix:///path`, `file:///path`, `stdout:`) or options. */
  channels: Record<string, string | ChannelOptions>
  /** Options every channel starts from (and every channel a log filter opens on demand). */
  defaults?: ChannelDefaults
  /** ms the channels get to drain when the app closes (5000); what is left counts as `dropped.closed`. */
  closeTimeout?: number
  /** At most one warning per channel per this many ms (30000). */
  warnInterval?: number
  /**
   * Where warnings (lines dropped, a collector that cannot be reached) go. Default: `fastify.log`
   * at warn level when it writes warnings, else `process.emitWarning` (code `WAFLOG_DROP` or
   * `WAFLOG_CHANNEL_ERROR`), which Node prints to stderr.
   */
  onWarning?: (warning: TransportWarning) => void
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The named channels every waf log writes through. */
    wafTransport: Transport
  }
}

const KNOWN = new Set(['channels', 'defaults', 'closeTimeout', 'warnInterval', 'onWarning'])

/**
 * The app's logger when it shows warnings. Fastify's logger is off unless asked for (a logger that
 * writes nothing, with no `level`), and a level above warn hides them too: warnings then go to
 * `process.emitWarning` instead, so that no line is lost in silence.
 */
function warningLogger (log: FastifyInstance['log']): TransportLogger | undefined {
  const l = log as { level?: unknown, isLevelEnabled?: (level: string) => boolean }
  if (typeof l.isLevelEnabled === 'function') return l.isLevelEnabled('warn') ? log : undefined
  return typeof l.level === 'string' && l.level !== 'silent' ? log : undefined
}

/**
 * The shared transport: opens the configured channels, decorates `fastify.wafTransport`,
 * installs the waf core (request context, `wafLog`) and drains everything on close.
 */
export const wafSocket = fp<WafSocketOptions>(async function wafSocket (app: FastifyInstance, opts: WafSocketOptions) {
  checkOptionNames('waf-socket', opts, KNOWN, 'an object with "channels"')
  const closeTimeout = opts.closeTimeout ?? 5000
  if (typeof closeTimeout !== 'number' || !Number.isInteger(closeTimeout) || closeTimeout < 0) {
    throw new TypeError(`waf-socket: option "closeTimeout" must be a whole number of ms >= 0, got ${JSON.stringify(closeTimeout)}`)
  }
  const transport = new SocketTransport({
    channels: opts.channels,
    defaults: opts.defaults,
    warnInterval: opts.warnInterval,
    logger: warningLogger(app.log),
    onWarning: opts.onWarning
  })
  app.decorate('wafTransport', transport)
  const core = installCore(app, transport)
  app.addHook('onClose', async function wafSocketClose () {
    await afterPendingCloses()
    core.log.close()
    await transport.close(closeTimeout)
  })
}, { name: 'waf-socket', fastify: '5.x' })

