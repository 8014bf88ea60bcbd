import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { SocketTransport } from '../lib/transport/transport.js'
import type { ChannelDefaults, ChannelOptions, Transport } from '../lib/transport/types.js'
import { afterPendingCloses, installCore } from './core.js'

export interface WafSocketOptions {
  /** Channel name → URL (`tcp://host:port`, `tls://…`, `udp://…`, `unix:///path`, `file:///path`, `stdout:`) or options. */
  channels: Record<string, string | ChannelOptions>
  /** Options every channel starts from (and every channel a log filter opens on demand). */
  defaults?: ChannelDefaults
  /** ms the channels get to drain when the app closes (5000); what is left counts as `dropped.closed`. */
  closeTimeout?: number
  /** At most one warning per channel per this many ms (30000). */
  warnInterval?: number
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The named channels every waf log writes through. */
    wafTransport: Transport
  }
}

const KNOWN = new Set(['channels', 'defaults', 'closeTimeout', 'warnInterval'])

/**
 * The shared transport: opens the configured channels, decorates `fastify.wafTransport`,
 * installs the waf core (request context, `wafLog`) and drains everything on close.
 */
export const wafSocket = fp<WafSocketOptions>(async function wafSocket (app: FastifyInstance, opts: WafSocketOptions) {
  if (opts === null || typeof opts !== 'object') throw new TypeError('waf-socket: options must be an object with "channels"')
  for (const key of Object.keys(opts)) {
    // Fastify adds its own register options (prefix, logLevel…) to what the plugin gets.
    if (!KNOWN.has(key) && !FASTIFY_REGISTER_OPTIONS.has(key)) {
      throw new TypeError(`waf-socket: option "${key}" is not an option; known: ${[...KNOWN].join(', ')}`)
    }
  }
  const closeTimeout = opts.closeTimeout ?? 5000
  if (typeof closeTimeout !== 'number' || !Number.isInteger(closeTimeout) || closeTimeout < 0) {
    throw new TypeError(`waf-socket: option "closeTimeout" must be a whole number of ms >= 0, got ${JSON.stringify(closeTimeout)}`)
  }
  const transport = new SocketTransport({
    channels: opts.channels,
    defaults: opts.defaults,
    warnInterval: opts.warnInterval,
    logger: app.log
  })
  app.decorate('wafTransport', transport)
  const core = installCore(app, transport)
  app.addHook('onClose', async function wafSocketClose () {
    await afterPendingCloses()
    core.log.close()
    await transport.close(closeTimeout)
  })
}, { name: 'waf-socket', fastify: '5.x' })

const FASTIFY_REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers'])
