import type { PluginKey, WafContext } from './context.js'
import { JoinedSet } from './joined-set.js'
import type { Participant } from './participant.js'

/**
 * A participant as the lifecycle's per-request loops see it. Each plugin's participant is an
 * object of its own shape, so the loops' loads of `key`, `arrive` and `depart` met one hidden
 * class per plugin and went polymorphic (V8's --log-ic), and the lookups by key (`KEY_BIT[key]`,
 * `ctx.enabled[key] = true`) megamorphic: every entry here has one class, its bits are
 * computed once at registration, and its key is set through a switch of named stores.
 */
export class Enlisted<Req, Rep> {
  readonly key: PluginKey
  /** Its bit and its key's bit in a JoinedSet mask; `bits` both. */
  readonly bit: number
  readonly keyBit: number
  readonly bits: number
  /** The route prefix of the scope it was registered in ('' for the root), for the early path. */
  prefix = ''

  /** The participant's functions, read off it once (called with it as `this`). */
  private readonly switchFn: Participant<Req, Rep>['enabled']
  private readonly arriveFn: Participant<Req, Rep>['arrive']
  private readonly departFn: Participant<Req, Rep>['depart']
  /** Whether it has a `depart`, for the departure loop. */
  readonly departs: boolean

  constructor (readonly participant: Participant<Req, Rep>, readonly index: number) {
    this.key = participant.key
    this.bit = JoinedSet.participantBit(index)
    this.keyBit = JoinedSet.keyBit(participant.key)
    this.bits = this.bit + this.keyBit
    this.switchFn = participant.enabled
    this.arriveFn = participant.arrive
    this.departFn = participant.depart
    this.departs = participant.depart !== undefined
  }

  enabled (routeUrl: string | undefined, url: string, config: unknown): boolean {
    return this.switchFn.call(this.participant, routeUrl, url, config)
  }

  /** Its `arrive`: true when it answered the request. */
  arrive (request: Req, reply: Rep, ctx: WafContext, early: boolean): boolean {
    const fn = this.arriveFn
    return fn !== undefined && fn.call(this.participant, request, reply, ctx, early) === true
  }

  depart (request: Req, reply: Rep, ctx: WafContext): void {
    const fn = this.departFn
    if (fn !== undefined) fn.call(this.participant, request, reply, ctx)
  }
}

/** Marks the plugin `key` on for the request: a named store per key, never a store by computed key. */
export function enable (enabled: Record<PluginKey, boolean>, key: PluginKey): void {
  switch (key) {
    case 'forensic': enabled.forensic = true; break
    case 'rules': enabled.rules = true; break
    case 'access': enabled.access = true; break
    case 'attack': enabled.attack = true; break
    case 'heartbeat': enabled.heartbeat = true; break
  }
}
