import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { WafContext } from '../lib/lifecycle/context.js'
import type { Enlisted } from '../lib/lifecycle/enlisted.js'
import type { Participant } from '../lib/lifecycle/participant.js'
import { JOIN_REPLIED, RequestLifecycle, kLifecycle } from '../lib/lifecycle/requests.js'
import type { RouteFacts } from '../lib/lifecycle/requests.js'
import type { RouteWafConfig } from '../lib/lifecycle/switches.js'
import { LogFramework } from '../lib/log/framework.js'
import type { WafStreams } from '../lib/records/streams.js'
import type { Transport } from '../lib/transport/types.js'

/**
 * The Fastify adapter of the request lifecycle (lib/lifecycle): decorators, the join hooks, and
 * each route's switches read once. `waf-socket` installs it; every other plugin joins it.
 */

export type WafParticipant = Participant<FastifyRequest, FastifyReply>

declare module 'fastify' {
  interface FastifyRequest {
    /** The waf context, made by the first waf plugin whose `onRequest` runs; null where none runs. */
    waf: WafContext | null
  }
  interface FastifyInstance {
    /** Streams, filters and writers of every waf log (see lib/log), typed per stream. */
    wafLog: LogFramework<WafStreams>
  }
  interface FastifyContextConfig {
    /** `false` turns every waf plugin off for the route; `{ rules: false }` turns one off. */
    waf?: RouteWafConfig
  }
}

const kCore = kLifecycle
/** On a route's config object: its facts, resolved at its first request. */
const kRouteFacts = Symbol('waf.routeFacts')

type JoinHook = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void
type RouteConfig = { url?: string, waf?: RouteWafConfig, [kRouteFacts]?: RouteFacts }

export class WafCore extends RequestLifecycle<FastifyRequest, FastifyReply> {
  readonly log: LogFramework<WafStreams>
  /** Apps whose plugins' join hooks the umbrella is collecting into one (see collectJoinHooks). */
  private readonly collecting = new Map<FastifyInstance, Array<Enlisted<FastifyRequest, FastifyReply>>>()

  constructor (app: FastifyInstance, readonly transport: Transport) {
    super((err, key) => app.log.error({ err, plugin: `waf-${key}` }, 'waf plugin failed while finishing a request'))
    this.log = new LogFramework<WafStreams>(transport, {
      onError: (err, stream) => app.log.error({ err, stream }, 'waf log filter or listener failed')
    })
  }

  /**
   * The route's facts. `request.routeOptions` builds an object on every read and is Fastify's
   * only public way to the route's config: read once per request (a later join hook finds the
   * facts the first joined with), the switches once per route.
   */
  routeOf (request: FastifyRequest): RouteFacts {
    const joined = this.joinedRoute(request)
    if (joined !== null) return joined
    const config = request.routeOptions.config as RouteConfig
    return config[kRouteFacts] ?? (config[kRouteFacts] = this.routeFacts(config.url, config.waf))
  }

  /**
   * The hook a participant's plugin adds in its own (possibly encapsulated) context. A plain
   * callback over `this`: no closure and no promise per request.
   */
  onRequestHook (p: WafParticipant, scope?: { prefix: string }): JoinHook {
    const core = this
    const entries = [this.enlist(p, scope)]
    return function wafJoin (request, reply, done) {
      // A participant that answered (403, 503) ends the hook chain: calling done() after a send
      // would run the handler when an onSend hook is asynchronous.
      if (core.join(entries, request, reply, core.routeOf(request)) === JOIN_REPLIED) return
      done()
    }
  }

  /**
   * What a waf plugin calls to join requests: adds its `onRequest` hook to `app`, or, while the
   * umbrella collects the hooks of `app` (`collectJoinHooks`), lines the participant up for the
   * umbrella's one hook.
   */
  addJoinHook (app: FastifyInstance, p: WafParticipant, scope?: { prefix: string }): void {
    const collected = this.collecting.get(app)
    if (collected === undefined) app.addHook('onRequest', this.onRequestHook(p, scope))
    else collected.push(this.enlist(p, scope))
  }

  /**
   * Collects the join hooks the plugins registered on `app` add from now on, until the returned
   * function adds them to `app` as one `onRequest` hook that joins each participant in the same
   * order, and stops at the first that answers, as a chain of one hook each would.
   */
  collectJoinHooks (app: FastifyInstance): () => void {
    const list: Array<Enlisted<FastifyRequest, FastifyReply>> = []
    this.collecting.set(app, list)
    return () => {
      this.collecting.delete(app)
      if (list.length === 0) return
      const core = this
      app.addHook('onRequest', function wafJoinAll (request, reply, done) {
        if (core.join(list, request, reply, core.routeOf(request)) !== JOIN_REPLIED) done()
      })
    }
  }
}

/**
 * Installs the core on the app once, over the app's transport; `waf-socket` calls it. The caller
 * closes `core.log` and then the transport on `onClose`.
 */
export function installCore (app: FastifyInstance, transport: Transport): WafCore {
  const existing = (app as FastifyInstance & { [kCore]?: WafCore })[kCore]
  if (existing !== undefined) return existing
  const core = new WafCore(app, transport)
  app.decorate(kCore, core)
  app.decorate('wafLog', core.log)
  if (!app.hasRequestDecorator('waf')) app.decorateRequest('waf', null)
  return core
}

/** The core of the app, for plugins that depend on `waf-socket`. */
export function coreOf (app: FastifyInstance): WafCore {
  const core = (app as FastifyInstance & { [kCore]?: WafCore })[kCore]
  if (core === undefined) throw new Error('fastify-waflog: register wafSocket before the other waf plugins')
  return core
}

export { afterPendingCloses } from '../lib/lifecycle/pending-closes.js'
export { answerRequestTimeout, wafServerOptions } from './server-options.js'
